import type { PlannedCall } from '../../tools/schemas.ts';

/**
 * Everyday phrasings and the exact tool calls each must become: the offline planner's table
 * (tests/planner/plan-table.test.ts holds it to them) and the default set of `gpuops eval`, which
 * scores any model against it. A user's own file adds to it or replaces it.
 */

/** One request and the calls that answer it, in the agent's own argument names. */
export interface Phrasing {
  text: string;
  calls: PlannedCall[];
}

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

export const PHRASINGS: readonly Phrasing[] = [
  // search_offers
  { text: 'what GPUs are available under $0.40/hr?', calls: [search({ max_price_per_gpu_hour: 0.4 })] },
  { text: 'show me A100 80GB offers in Europe', calls: [search({ gpu: 'a100-80gb', region: 'europe' })] },
  { text: 'cheapest 4090', calls: [search({ gpu: 'rtx-4090', order: 'price' })] },
  { text: 'find 2x H100 SXM in the US', calls: [search({ gpu: 'h100-sxm', count: 2, region: 'US' })] },
  {
    text: 'list offers for 3090 with at least 0.98 reliability',
    calls: [search({ gpu: 'rtx-3090', min_reliability: 0.98 })],
  },
  {
    text: 'top 5 L40S offers sorted by reliability',
    calls: [search({ gpu: 'l40s', order: 'reliability', limit: 5 })],
  },
  {
    text: 'any gpus with 48gb or more under a dollar',
    calls: [search({ min_gpu_ram_gb: 48, max_price_per_gpu_hour: 1 })],
  },
  { text: '4090 under $0.5/hr', calls: [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })] },
  { text: 'rtx4090 for $0.45 per hour', calls: [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.45 })] },
  { text: 'RTX-4090 under 50 cents', calls: [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })] },
  { text: 'geforce 4090 at 50c/hr', calls: [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })] },
  { text: 'A100 80G under 1 dollar', calls: [search({ gpu: 'a100-80gb', max_price_per_gpu_hour: 1 })] },
  { text: 'a100-80gb below $2', calls: [search({ gpu: 'a100-80gb', max_price_per_gpu_hour: 2 })] },
  { text: 'A100 less than 0.3 usd/h', calls: [search({ gpu: 'a100-40gb', max_price_per_gpu_hour: 0.3 })] },
  { text: 'h100 sxm max $1.20', calls: [search({ gpu: 'h100-sxm', max_price_per_gpu_hour: 1.2 })] },
  { text: 'H100 at most 80¢', calls: [search({ gpu: 'h100-pcie', max_price_per_gpu_hour: 0.8 })] },
  { text: 'H200 under a buck', calls: [search({ gpu: 'h200', max_price_per_gpu_hour: 1 })] },
  { text: '3090s under 25 cents', calls: [search({ gpu: 'rtx-3090', max_price_per_gpu_hour: 0.25 })] },
  { text: 'MI300X offers', calls: [search({ gpu: 'mi300x' })] },
  { text: 'l40s in asia', calls: [search({ gpu: 'l40s', region: 'asia' })] },
  { text: 'any 4090 in north america', calls: [search({ gpu: 'rtx-4090', region: 'north-america' })] },
  { text: '4090 offers in Germany', calls: [search({ gpu: 'rtx-4090', region: 'DE' })] },
  { text: '4090 offers in DE', calls: [search({ gpu: 'rtx-4090', region: 'DE' })] },
  {
    text: 'H100 SXM US under $2.50',
    calls: [search({ gpu: 'h100-sxm', region: 'US', max_price_per_gpu_hour: 2.5 })],
  },
  { text: 'find rtx-4090 offers in EU', calls: [search({ gpu: 'rtx-4090', region: 'europe' })] },
  { text: '3090 with 99% reliable hosts', calls: [search({ gpu: 'rtx-3090', min_reliability: 0.99 })] },
  { text: '4090 reliability above 0.98', calls: [search({ gpu: 'rtx-4090', min_reliability: 0.98 })] },
  { text: 'most reliable a6000', calls: [search({ gpu: 'rtx-a6000', order: 'reliability' })] },
  { text: 'best value h100', calls: [search({ gpu: 'h100-pcie', order: 'performance_per_dollar' })] },
  {
    text: 'best bang for the buck 4090',
    calls: [search({ gpu: 'rtx-4090', order: 'performance_per_dollar' })],
  },
  { text: 'show 3 a100 offers', calls: [search({ gpu: 'a100-40gb', limit: 3 })] },
  { text: 'show me the 5 cheapest 3090s', calls: [search({ gpu: 'rtx-3090', order: 'price', limit: 5 })] },
  { text: 'top 100 4090 offers', calls: [search({ gpu: 'rtx-4090', limit: 50 })] },
  { text: '8xH100 under $3/hr', calls: [search({ gpu: 'h100-pcie', count: 8, max_price_per_gpu_hour: 3 })] },
  { text: '4 gpus under $1', calls: [search({ count: 4, max_price_per_gpu_hour: 1 })] },
  { text: 'dual 4090 in Germany', calls: [search({ gpu: 'rtx-4090', count: 2, region: 'DE' })] },
  { text: 'how much is an a100', calls: [search({ gpu: 'a100-40gb' })] },
  { text: 'what are the prices for h100s', calls: [search({ gpu: 'h100-pcie' })] },
  { text: 'list offers for 4090 sorted by price', calls: [search({ gpu: 'rtx-4090', order: 'price' })] },
  { text: 'rtx 4090 24gb offers', calls: [search({ gpu: 'rtx-4090' })] },
  {
    text: 'search for gpus under $0.25/hr in DE',
    calls: [search({ max_price_per_gpu_hour: 0.25, region: 'DE' })],
  },
  {
    text: '4090 x2 under $10/day',
    calls: [search({ gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.416667 })],
  },
  { text: 'find 4090 or 3090 offers', calls: [search({ gpu: 'rtx-4090' }), search({ gpu: 'rtx-3090' })] },
  {
    text: 'gpus with vram >= 80 between $1 and $2',
    calls: [search({ min_gpu_ram_gb: 80, max_price_per_gpu_hour: 2 })],
  },
  { text: 'h100 no more than $0.9/hr', calls: [search({ gpu: 'h100-pcie', max_price_per_gpu_hour: 0.9 })] },
  { text: 'A10G offers', calls: [search({ gpu: 'a10g' })] },
  // deploy
  {
    text: 'deploy a 4090 with pytorch under 50 cents an hour',
    calls: [deploy({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5, image: 'pytorch/pytorch:latest' })],
  },
  { text: 'rent 2x A100 80GB, 200 GB disk', calls: [deploy({ count: 2, gpu: 'a100-80gb', disk_gb: 200 })] },
  {
    text: 'spin up two 4090s under $0.45/hr with the pytorch image',
    calls: [
      deploy({ count: 2, gpu: 'rtx-4090', max_price_per_gpu_hour: 0.45, image: 'pytorch/pytorch:latest' }),
    ],
  },
  {
    text: 'launch a pair of h100 sxm in europe',
    calls: [deploy({ count: 2, gpu: 'h100-sxm', region: 'europe' })],
  },
  { text: 'start a new rtx3090 instance', calls: [deploy({ gpu: 'rtx-3090' })] },
  {
    text: 'get me an L40S with vllm/vllm-openai:latest',
    calls: [deploy({ gpu: 'l40s', image: 'vllm/vllm-openai:latest' })],
  },
  { text: 'start a 4090', calls: [deploy({ gpu: 'rtx-4090' })] },
  { text: 'deploy 2 4090s', calls: [deploy({ count: 2, gpu: 'rtx-4090' })] },
  { text: 'deploy 4090x2', calls: [deploy({ count: 2, gpu: 'rtx-4090' })] },
  { text: 'rent a couple of 3090s in Japan', calls: [deploy({ count: 2, gpu: 'rtx-3090', region: 'JP' })] },
  {
    text: 'launch 8 x h100 sxm with 2tb disk',
    calls: [deploy({ count: 8, gpu: 'h100-sxm', disk_gb: 2000 })],
  },
  { text: 'deploy quad a100 in DE', calls: [deploy({ count: 4, gpu: 'a100-40gb', region: 'DE' })] },
  { text: 'deploy a single 3090 with disk 100', calls: [deploy({ gpu: 'rtx-3090', disk_gb: 100 })] },
  {
    text: 'rent an H200 in the US with 500gb storage',
    calls: [deploy({ gpu: 'h200', disk_gb: 500, region: 'US' })],
  },
  {
    text: 'deploy a 4090 with tensorflow',
    calls: [deploy({ gpu: 'rtx-4090', image: 'tensorflow/tensorflow:latest-gpu' })],
  },
  {
    text: 'deploy an a100 with cuda',
    calls: [deploy({ gpu: 'a100-40gb', image: 'nvidia/cuda:12.4.1-devel-ubuntu22.04' })],
  },
  {
    text: 'deploy comfyui on a 4090',
    calls: [deploy({ gpu: 'rtx-4090', image: 'ghcr.io/ai-dock/comfyui:latest' })],
  },
  {
    text: 'deploy a 4090 with jupyter',
    calls: [deploy({ gpu: 'rtx-4090', image: 'quay.io/jupyter/pytorch-notebook:cuda12-latest' })],
  },
  { text: 'deploy a 4090 image: ubuntu:22.04', calls: [deploy({ gpu: 'rtx-4090', image: 'ubuntu:22.04' })] },
  {
    text: 'deploy a 4090 using nvidia/cuda:12.1.0-runtime-ubuntu22.04',
    calls: [deploy({ gpu: 'rtx-4090', image: 'nvidia/cuda:12.1.0-runtime-ubuntu22.04' })],
  },
  {
    text: 'Deploy an L4 with ghcr.io/MyOrg/Serve:V2',
    calls: [deploy({ gpu: 'l4', image: 'ghcr.io/MyOrg/Serve:V2' })],
  },
  { text: 'i need 2 h100s', calls: [deploy({ count: 2, gpu: 'h100-pcie' })] },
  {
    text: 'I want a 4090 in europe under 60 cents',
    calls: [deploy({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.6, region: 'europe' })],
  },
  { text: 'can you please spin up a 4090 for me', calls: [deploy({ gpu: 'rtx-4090' })] },
  {
    text: 'deploy 4x 4090 at $1.60/hr total',
    calls: [deploy({ count: 4, gpu: 'rtx-4090', max_price_per_gpu_hour: 0.4 })],
  },
  {
    text: 'deploy an a100 under $0.5/hr in the US with 100 gb disk and pytorch',
    calls: [
      deploy({
        gpu: 'a100-40gb',
        max_price_per_gpu_hour: 0.5,
        image: 'pytorch/pytorch:latest',
        disk_gb: 100,
        region: 'US',
      }),
    ],
  },
  { text: 'deploy a 4090 with 99% reliability', calls: [deploy({ gpu: 'rtx-4090', min_reliability: 0.99 })] },
  {
    text: 'spin up 8xA10G with vllm',
    calls: [deploy({ count: 8, gpu: 'a10g', image: 'vllm/vllm-openai:latest' })],
  },
  { text: '@gpuops rent a 5090 in asia', calls: [deploy({ gpu: 'rtx-5090', region: 'asia' })] },
  // pause / resume / destroy
  { text: 'pause i-3', calls: [pause('i-3')] },
  { text: 'stop i-3', calls: [pause('i-3')] },
  { text: 'stop instance 3', calls: [pause('i-3')] },
  { text: 'suspend i-12', calls: [pause('i-12')] },
  { text: 'shut down i-3', calls: [pause('i-3')] },
  { text: 'turn off i-9 please', calls: [pause('i-9')] },
  { text: 'resume i-3', calls: [resume('i-3')] },
  { text: 'start i-3 again', calls: [resume('i-3')] },
  { text: 'unpause i-3', calls: [resume('i-3')] },
  { text: 'restart i-3', calls: [resume('i-3')] },
  { text: 'start i-3', calls: [resume('i-3')] },
  { text: 'bring i-3 back', calls: [resume('i-3')] },
  { text: 'wake up I-8', calls: [resume('i-8')] },
  { text: 'destroy i-3', calls: [destroy('i-3')] },
  { text: 'terminate i-3', calls: [destroy('i-3')] },
  { text: 'delete instance i-7', calls: [destroy('i-7')] },
  { text: 'kill i-3', calls: [destroy('i-3')] },
  { text: 'tear down i-2', calls: [destroy('i-2')] },
  { text: 'kill #7', calls: [destroy('i-7')] },
  { text: 'pause i-3 and i-4', calls: [pause('i-3'), pause('i-4')] },
  { text: 'pause i-3, i-4 and i-5', calls: [pause('i-3'), pause('i-4'), pause('i-5')] },
  { text: 'pause instances 3 and 4', calls: [pause('i-3'), pause('i-4')] },
  { text: 'stop i-3 and destroy i-4', calls: [pause('i-3'), destroy('i-4')] },
  { text: 'stop i-3, then start i-5', calls: [pause('i-3'), resume('i-5')] },
  { text: "don't destroy i-3, just pause it", calls: [pause('i-3')] },
  { text: 'gpuops: suspend i-003', calls: [pause('i-3')] },
  // list_instances
  { text: 'list my instances', calls: [list()] },
  { text: "what's running?", calls: [list()] },
  { text: 'show my machines', calls: [list()] },
  { text: 'my gpus', calls: [list()] },
  { text: 'show stopped instances', calls: [list({ state: 'stopped' })] },
  { text: 'all instances including destroyed', calls: [list({ state: 'all' })] },
  { text: 'list running instances', calls: [list({ state: 'running' })] },
  { text: 'show paused machines', calls: [list({ state: 'stopped' })] },
  { text: 'status', calls: [list()] },
  // instance_status
  { text: 'status of i-3', calls: [status('i-3')] },
  { text: 'how is i-3 doing', calls: [status('i-3')] },
  { text: 'i-3 status', calls: [status('i-3')] },
  { text: 'details for i-3', calls: [status('i-3')] },
  { text: 'ssh for i-3', calls: [status('i-3')] },
  { text: 'how do I connect to i-3', calls: [status('i-3')] },
  { text: 'i-3', calls: [status('i-3')] },
  { text: "what's the ip of i-3", calls: [status('i-3')] },
  // longer and looser requests
  {
    text: 'rent me 2 3090 for 0.3 each',
    calls: [deploy({ count: 2, gpu: 'rtx-3090', max_price_per_gpu_hour: 0.3 })],
  },
  {
    text: 'we need a couple of l40s for inference, budget $1/hr each',
    calls: [deploy({ count: 2, gpu: 'l40s', max_price_per_gpu_hour: 1 })],
  },
  {
    text: 'set up an 8x H100 SXM node in the US with vllm',
    calls: [deploy({ count: 8, gpu: 'h100-sxm', image: 'vllm/vllm-openai:latest', region: 'US' })],
  },
  {
    text: 'launch a 4090 instance with 250gb ssd in Canada',
    calls: [deploy({ gpu: 'rtx-4090', disk_gb: 250, region: 'CA' })],
  },
  { text: 'order a 4090', calls: [deploy({ gpu: 'rtx-4090' })] },
  { text: 'find and deploy a 4090', calls: [deploy({ gpu: 'rtx-4090' })] },
  { text: 'deploy an a100 80gb pcie', calls: [deploy({ gpu: 'a100-80gb-pcie' })] },
  { text: '4090 <= 0.4', calls: [search({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.4 })] },
  { text: 'list all offers under $0.2', calls: [search({ max_price_per_gpu_hour: 0.2 })] },
  {
    text: '2 4090s under $1 for both',
    calls: [search({ gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.5 })],
  },
  {
    text: "what's the cheapest gpu with at least 80gb",
    calls: [search({ min_gpu_ram_gb: 80, order: 'price' })],
  },
  { text: '4090 vs 3090 prices', calls: [search({ gpu: 'rtx-4090' }), search({ gpu: 'rtx-3090' })] },
  {
    text: 'show offers for 4090 over 0.99 reliability under 40 cents',
    calls: [search({ gpu: 'rtx-4090', min_reliability: 0.99, max_price_per_gpu_hour: 0.4 })],
  },
  {
    text: '4090 for less than 40 cents per hour in the EU with 98% reliability sorted by price, top 3',
    calls: [
      search({
        gpu: 'rtx-4090',
        max_price_per_gpu_hour: 0.4,
        region: 'europe',
        min_reliability: 0.98,
        order: 'price',
        limit: 3,
      }),
    ],
  },
  { text: 'spin i-3 back up', calls: [resume('i-3')] },
  { text: 'put i-3 to sleep', calls: [pause('i-3')] },
  { text: 'resume i-3 and i-4 then destroy i-5', calls: [resume('i-3'), resume('i-4'), destroy('i-5')] },
  { text: 'Hi. Can you pause i-3 and destroy i-4', calls: [pause('i-3'), destroy('i-4')] },
  { text: 'pause i-3\npause i-4', calls: [pause('i-3'), pause('i-4')] },
  {
    text: 'deploy a 4090\n  with pytorch',
    calls: [deploy({ gpu: 'rtx-4090', image: 'pytorch/pytorch:latest' })],
  },
  { text: 'what am I paying for', calls: [list()] },
  { text: 'any machines running?', calls: [list({ state: 'running' })] },
  { text: 'list destroyed instances', calls: [list({ state: 'all' })] },
  // auto-pause
  {
    text: 'auto-pause i-4 after 20 minutes idle',
    calls: [{ tool: 'auto_pause', args: { instance: 'i-4', idle_minutes: 20 } }],
  },
  {
    text: 'pause i-3 when idle for 15 minutes',
    calls: [{ tool: 'auto_pause', args: { instance: 'i-3', idle_minutes: 15 } }],
  },
  {
    text: 'auto-pause idle instances in this channel after 30 minutes',
    calls: [{ tool: 'auto_pause', args: { channel_default: true, idle_minutes: 30 } }],
  },
  { text: 'stop auto-pausing i-3', calls: [{ tool: 'stop_auto_pause', args: { instance: 'i-3' } }] },
  { text: 'keep i-3 running', calls: [{ tool: 'keep_running', args: { instance: 'i-3' } }] },
  {
    text: 'how much did auto-pause save this week?',
    calls: [{ tool: 'idle_savings', args: { period: 'week' } }],
  },
  // snapshots
  { text: 'back up i-6', calls: [{ tool: 'snapshot', args: { instance: 'i-6' } }] },
  {
    text: 'take a snapshot of i-14 called before-upgrade',
    calls: [{ tool: 'snapshot', args: { instance: 'i-14', name: 'before-upgrade' } }],
  },
  { text: 'show my snapshots', calls: [{ tool: 'list_snapshots', args: {} }] },
  {
    text: 'restore snap-3 onto i-9',
    calls: [{ tool: 'restore', args: { snapshot: 'snap-3', instance: 'i-9' } }],
  },
  // failover and hibernation
  { text: 'migrate i-2 to a new gpu', calls: [{ tool: 'failover', args: { instance: 'i-2' } }] },
  { text: 'i-3 died, move it', calls: [{ tool: 'failover', args: { instance: 'i-3' } }] },
  {
    text: 'enable auto-failover for i-5',
    calls: [{ tool: 'auto_failover', args: { instance: 'i-5', enabled: true } }],
  },
  {
    text: 'hibernate i-3 after 2 hours paused',
    calls: [{ tool: 'hibernation_policy', args: { instance: 'i-3', after_minutes: 120 } }],
  },
  { text: 'wake i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
  // CPU standby
  { text: 'enable standby for i-3', calls: [{ tool: 'standby', args: { instance: 'i-3', enabled: true } }] },
  {
    text: 'standby i-8 on a spot e2-standard-8',
    calls: [
      {
        tool: 'standby',
        args: { instance: 'i-8', enabled: true, machine_type: 'e2-standard-8', spot: true },
      },
    ],
  },
  {
    text: 'turn off standby for i-3',
    calls: [{ tool: 'standby', args: { instance: 'i-3', enabled: false } }],
  },
];
