import { describe, expect, it } from 'vitest';
import { planRequest } from '../../src/agent/planner/index.ts';
import { type PlannedCall, TOOL_SCHEMAS } from '../../src/tools/schemas.ts';

const search = (args: Record<string, unknown>): PlannedCall => ({ tool: 'search_offers', args });
const deploy = (args: Record<string, unknown>): PlannedCall => ({
  tool: 'deploy',
  args: { count: 1, ...args },
});
const pause = (instance: string): PlannedCall => ({ tool: 'pause', args: { instance } });
const resume = (instance: string): PlannedCall => ({ tool: 'resume', args: { instance } });
const destroy = (instance: string): PlannedCall => ({ tool: 'destroy', args: { instance } });
const status = (instance: string): PlannedCall => ({ tool: 'instance_status', args: { instance } });
const list = (args: Record<string, unknown> = {}): PlannedCall => ({ tool: 'list_instances', args });

const PYTORCH = 'pytorch/pytorch:latest';
const VLLM = 'vllm/vllm-openai:latest';

/** Everyday phrasings and the exact calls they must become. */
const TABLE: ReadonlyArray<readonly [string, PlannedCall[]]> = [
  // search_offers
  ['what GPUs are available under $0.40/hr?', [search({ max_price_per_gpu_hour: 0.4 })]],
  ['show me A100 80GB offers in Europe', [search({ gpu: 'a100-80gb', region: 'europe' })]],
  ['cheapest 4090', [search({ gpu: 'rtx-4090', order: 'price' })]],
  ['find 2x H100 SXM in the US', [search({ gpu: 'h100-sxm', count: 2, region: 'US' })]],
  [
    'list offers for 3090 with at least 0.98 reliability',
    [search({ gpu: 'rtx-3090', min_reliability: 0.98 })],
  ],
  ['top 5 L40S offers sorted by reliability', [search({ gpu: 'l40s', order: 'reliability', limit: 5 })]],
  ['any gpus with 48gb or more under a dollar', [search({ min_gpu_ram_gb: 48, max_price_per_gpu_hour: 1 })]],
  ['4090 under $0.5/hr', [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })]],
  ['rtx4090 for $0.45 per hour', [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.45 })]],
  ['RTX-4090 under 50 cents', [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })]],
  ['geforce 4090 at 50c/hr', [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })]],
  ['A100 80G under 1 dollar', [search({ gpu: 'a100-80gb', max_price_per_gpu_hour: 1 })]],
  ['a100-80gb below $2', [search({ gpu: 'a100-80gb', max_price_per_gpu_hour: 2 })]],
  ['A100 less than 0.3 usd/h', [search({ gpu: 'a100-40gb', max_price_per_gpu_hour: 0.3 })]],
  ['h100 sxm max $1.20', [search({ gpu: 'h100-sxm', max_price_per_gpu_hour: 1.2 })]],
  ['H100 at most 80¢', [search({ gpu: 'h100-pcie', max_price_per_gpu_hour: 0.8 })]],
  ['H200 under a buck', [search({ gpu: 'h200', max_price_per_gpu_hour: 1 })]],
  ['3090s under 25 cents', [search({ gpu: 'rtx-3090', max_price_per_gpu_hour: 0.25 })]],
  ['MI300X offers', [search({ gpu: 'mi300x' })]],
  ['l40s in asia', [search({ gpu: 'l40s', region: 'asia' })]],
  ['any 4090 in north america', [search({ gpu: 'rtx-4090', region: 'north-america' })]],
  ['4090 offers in Germany', [search({ gpu: 'rtx-4090', region: 'DE' })]],
  ['4090 offers in DE', [search({ gpu: 'rtx-4090', region: 'DE' })]],
  ['H100 SXM US under $2.50', [search({ gpu: 'h100-sxm', region: 'US', max_price_per_gpu_hour: 2.5 })]],
  ['find rtx-4090 offers in EU', [search({ gpu: 'rtx-4090', region: 'europe' })]],
  ['3090 with 99% reliable hosts', [search({ gpu: 'rtx-3090', min_reliability: 0.99 })]],
  ['4090 reliability above 0.98', [search({ gpu: 'rtx-4090', min_reliability: 0.98 })]],
  ['most reliable a6000', [search({ gpu: 'rtx-a6000', order: 'reliability' })]],
  ['best value h100', [search({ gpu: 'h100-pcie', order: 'performance_per_dollar' })]],
  ['best bang for the buck 4090', [search({ gpu: 'rtx-4090', order: 'performance_per_dollar' })]],
  ['show 3 a100 offers', [search({ gpu: 'a100-40gb', limit: 3 })]],
  ['show me the 5 cheapest 3090s', [search({ gpu: 'rtx-3090', order: 'price', limit: 5 })]],
  ['top 100 4090 offers', [search({ gpu: 'rtx-4090', limit: 50 })]],
  ['8xH100 under $3/hr', [search({ gpu: 'h100-pcie', count: 8, max_price_per_gpu_hour: 3 })]],
  ['4 gpus under $1', [search({ count: 4, max_price_per_gpu_hour: 1 })]],
  ['dual 4090 in Germany', [search({ gpu: 'rtx-4090', count: 2, region: 'DE' })]],
  ['how much is an a100', [search({ gpu: 'a100-40gb' })]],
  ['what are the prices for h100s', [search({ gpu: 'h100-pcie' })]],
  ['list offers for 4090 sorted by price', [search({ gpu: 'rtx-4090', order: 'price' })]],
  ['rtx 4090 24gb offers', [search({ gpu: 'rtx-4090' })]],
  ['search for gpus under $0.25/hr in DE', [search({ max_price_per_gpu_hour: 0.25, region: 'DE' })]],
  ['4090 x2 under $10/day', [search({ gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.416667 })]],
  ['find 4090 or 3090 offers', [search({ gpu: 'rtx-4090' }), search({ gpu: 'rtx-3090' })]],
  ['gpus with vram >= 80 between $1 and $2', [search({ min_gpu_ram_gb: 80, max_price_per_gpu_hour: 2 })]],
  ['h100 no more than $0.9/hr', [search({ gpu: 'h100-pcie', max_price_per_gpu_hour: 0.9 })]],
  ['A10G offers', [search({ gpu: 'a10g' })]],

  // deploy
  [
    'deploy a 4090 with pytorch under 50 cents an hour',
    [deploy({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5, image: PYTORCH })],
  ],
  ['rent 2x A100 80GB, 200 GB disk', [deploy({ gpu: 'a100-80gb', count: 2, disk_gb: 200 })]],
  [
    'spin up two 4090s under $0.45/hr with the pytorch image',
    [deploy({ gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.45, image: PYTORCH })],
  ],
  ['launch a pair of h100 sxm in europe', [deploy({ gpu: 'h100-sxm', count: 2, region: 'europe' })]],
  ['start a new rtx3090 instance', [deploy({ gpu: 'rtx-3090' })]],
  ['get me an L40S with vllm/vllm-openai:latest', [deploy({ gpu: 'l40s', image: VLLM })]],
  ['start a 4090', [deploy({ gpu: 'rtx-4090' })]],
  ['deploy 2 4090s', [deploy({ gpu: 'rtx-4090', count: 2 })]],
  ['deploy 4090x2', [deploy({ gpu: 'rtx-4090', count: 2 })]],
  ['rent a couple of 3090s in Japan', [deploy({ gpu: 'rtx-3090', count: 2, region: 'JP' })]],
  ['launch 8 x h100 sxm with 2tb disk', [deploy({ gpu: 'h100-sxm', count: 8, disk_gb: 2000 })]],
  ['deploy quad a100 in DE', [deploy({ gpu: 'a100-40gb', count: 4, region: 'DE' })]],
  ['deploy a single 3090 with disk 100', [deploy({ gpu: 'rtx-3090', disk_gb: 100 })]],
  ['rent an H200 in the US with 500gb storage', [deploy({ gpu: 'h200', disk_gb: 500, region: 'US' })]],
  ['deploy a 4090 with tensorflow', [deploy({ gpu: 'rtx-4090', image: 'tensorflow/tensorflow:latest-gpu' })]],
  ['deploy an a100 with cuda', [deploy({ gpu: 'a100-40gb', image: 'nvidia/cuda:12.4.1-devel-ubuntu22.04' })]],
  ['deploy comfyui on a 4090', [deploy({ gpu: 'rtx-4090', image: 'ghcr.io/ai-dock/comfyui:latest' })]],
  [
    'deploy a 4090 with jupyter',
    [deploy({ gpu: 'rtx-4090', image: 'quay.io/jupyter/pytorch-notebook:cuda12-latest' })],
  ],
  ['deploy a 4090 image: ubuntu:22.04', [deploy({ gpu: 'rtx-4090', image: 'ubuntu:22.04' })]],
  [
    'deploy a 4090 using nvidia/cuda:12.1.0-runtime-ubuntu22.04',
    [deploy({ gpu: 'rtx-4090', image: 'nvidia/cuda:12.1.0-runtime-ubuntu22.04' })],
  ],
  ['Deploy an L4 with ghcr.io/MyOrg/Serve:V2', [deploy({ gpu: 'l4', image: 'ghcr.io/MyOrg/Serve:V2' })]],
  ['i need 2 h100s', [deploy({ gpu: 'h100-pcie', count: 2 })]],
  [
    'I want a 4090 in europe under 60 cents',
    [deploy({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.6, region: 'europe' })],
  ],
  ['can you please spin up a 4090 for me', [deploy({ gpu: 'rtx-4090' })]],
  ['deploy 4x 4090 at $1.60/hr total', [deploy({ gpu: 'rtx-4090', count: 4, max_price_per_gpu_hour: 0.4 })]],
  [
    'deploy an a100 under $0.5/hr in the US with 100 gb disk and pytorch',
    [deploy({ gpu: 'a100-40gb', max_price_per_gpu_hour: 0.5, image: PYTORCH, disk_gb: 100, region: 'US' })],
  ],
  ['deploy a 4090 with 99% reliability', [deploy({ gpu: 'rtx-4090', min_reliability: 0.99 })]],
  ['spin up 8xA10G with vllm', [deploy({ gpu: 'a10g', count: 8, image: VLLM })]],
  ['<@U024BE7LH> deploy a 4090', [deploy({ gpu: 'rtx-4090' })]],
  ['@gpuops rent a 5090 in asia', [deploy({ gpu: 'rtx-5090', region: 'asia' })]],

  // pause / resume / destroy
  ['pause i-3', [pause('i-3')]],
  ['stop i-3', [pause('i-3')]],
  ['stop instance 3', [pause('i-3')]],
  ['suspend i-12', [pause('i-12')]],
  ['shut down i-3', [pause('i-3')]],
  ['turn off i-9 please', [pause('i-9')]],
  ['resume i-3', [resume('i-3')]],
  ['start i-3 again', [resume('i-3')]],
  ['unpause i-3', [resume('i-3')]],
  ['restart i-3', [resume('i-3')]],
  ['start i-3', [resume('i-3')]],
  ['bring i-3 back', [resume('i-3')]],
  ['wake up I-8', [resume('i-8')]],
  ['destroy i-3', [destroy('i-3')]],
  ['terminate i-3', [destroy('i-3')]],
  ['delete instance i-7', [destroy('i-7')]],
  ['kill i-3', [destroy('i-3')]],
  ['tear down i-2', [destroy('i-2')]],
  ['kill #7', [destroy('i-7')]],
  ['pause i-3 and i-4', [pause('i-3'), pause('i-4')]],
  ['pause i-3, i-4 and i-5', [pause('i-3'), pause('i-4'), pause('i-5')]],
  ['pause instances 3 and 4', [pause('i-3'), pause('i-4')]],
  ['stop i-3 and destroy i-4', [pause('i-3'), destroy('i-4')]],
  ['stop i-3, then start i-5', [pause('i-3'), resume('i-5')]],
  ["don't destroy i-3, just pause it", [pause('i-3')]],
  ['gpuops: suspend i-003', [pause('i-3')]],

  // list_instances
  ['list my instances', [list()]],
  ["what's running?", [list()]],
  ['show my machines', [list()]],
  ['my gpus', [list()]],
  ['show stopped instances', [list({ state: 'stopped' })]],
  ['all instances including destroyed', [list({ state: 'all' })]],
  ['list running instances', [list({ state: 'running' })]],
  ['show paused machines', [list({ state: 'stopped' })]],
  ['status', [list()]],

  // instance_status
  ['status of i-3', [status('i-3')]],
  ['how is i-3 doing', [status('i-3')]],
  ['i-3 status', [status('i-3')]],
  ['details for i-3', [status('i-3')]],
  ['ssh for i-3', [status('i-3')]],
  ['how do I connect to i-3', [status('i-3')]],
  ['i-3', [status('i-3')]],
  ["what's the ip of i-3", [status('i-3')]],

  // longer and looser requests
  ['rent me 2 3090 for 0.3 each', [deploy({ gpu: 'rtx-3090', count: 2, max_price_per_gpu_hour: 0.3 })]],
  [
    'we need a couple of l40s for inference, budget $1/hr each',
    [deploy({ gpu: 'l40s', count: 2, max_price_per_gpu_hour: 1 })],
  ],
  [
    'set up an 8x H100 SXM node in the US with vllm',
    [deploy({ gpu: 'h100-sxm', count: 8, image: VLLM, region: 'US' })],
  ],
  [
    'launch a 4090 instance with 250gb ssd in Canada',
    [deploy({ gpu: 'rtx-4090', disk_gb: 250, region: 'CA' })],
  ],
  ['order a 4090', [deploy({ gpu: 'rtx-4090' })]],
  ['find and deploy a 4090', [deploy({ gpu: 'rtx-4090' })]],
  ['deploy an a100 80gb pcie', [deploy({ gpu: 'a100-80gb-pcie' })]],
  ['4090 <= 0.4', [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.4 })]],
  ['list all offers under $0.2', [search({ max_price_per_gpu_hour: 0.2 })]],
  ['2 4090s under $1 for both', [search({ gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.5 })]],
  ["what's the cheapest gpu with at least 80gb", [search({ min_gpu_ram_gb: 80, order: 'price' })]],
  ['4090 vs 3090 prices', [search({ gpu: 'rtx-4090' }), search({ gpu: 'rtx-3090' })]],
  [
    'show offers for 4090 over 0.99 reliability under 40 cents',
    [search({ gpu: 'rtx-4090', min_reliability: 0.99, max_price_per_gpu_hour: 0.4 })],
  ],
  [
    '4090 for less than 40 cents per hour in the EU with 98% reliability sorted by price, top 3',
    [
      search({
        gpu: 'rtx-4090',
        max_price_per_gpu_hour: 0.4,
        region: 'europe',
        min_reliability: 0.98,
        order: 'price',
        limit: 3,
      }),
    ],
  ],
  ['spin i-3 back up', [resume('i-3')]],
  ['put i-3 to sleep', [pause('i-3')]],
  ['resume i-3 and i-4 then destroy i-5', [resume('i-3'), resume('i-4'), destroy('i-5')]],
  ['Hi. Can you pause i-3 and destroy i-4', [pause('i-3'), destroy('i-4')]],
  ['pause i-3\npause i-4', [pause('i-3'), pause('i-4')]],
  ['deploy a 4090\n  with pytorch', [deploy({ gpu: 'rtx-4090', image: PYTORCH })]],
  ['what am I paying for', [list()]],
  ['any machines running?', [list({ state: 'running' })]],
  ['list destroyed instances', [list({ state: 'all' })]],
];

describe('offline planner phrasings', () => {
  it('covers at least 80 phrasings', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(80);
  });

  it.each(TABLE)('turns "%s" into the expected tool calls', (text, expected) => {
    const plan = planRequest(text);
    expect(plan).toEqual({ kind: 'calls', calls: expected });
  });

  it.each(TABLE)('gives "%s" arguments that its tool schema accepts', (text) => {
    const plan = planRequest(text);
    if (plan.kind !== 'calls') throw new Error(`expected calls for "${text}", got ${plan.kind}`);
    for (const call of plan.calls) {
      const parsed = TOOL_SCHEMAS[call.tool].safeParse(call.args);
      expect(parsed.success, `${call.tool} ${JSON.stringify(call.args)}`).toBe(true);
    }
  });

  it('reads text the same whatever its case and trailing punctuation', () => {
    const reference = planRequest('deploy two 4090s under $0.45/hr with pytorch');
    for (const variant of [
      'DEPLOY TWO 4090S UNDER $0.45/HR WITH PYTORCH',
      'Deploy two 4090s under $0.45/hr with PyTorch!!!',
      '  deploy   two 4090s, under $0.45/hr, with pytorch.  ',
      '*deploy* two 4090s under $0.45/hr with `pytorch`',
    ]) {
      expect(planRequest(variant)).toEqual(reference);
    }
  });
});
