import type { PlannedCall } from '../../../../src/tools/schemas.ts';

/**
 * A held-out set: ordinary ways of asking that the planner was not tuned on, written before the
 * vocabulary and fallback work of issue #17, to measure whether it understands more than before.
 * Never tune the planner against these one by one; add new ones instead.
 *
 * `calls`: the exact calls expected. `tool`: only the tool is checked (arguments too rich to pin).
 * `cannot`: a request for something gpuops cannot do yet, answered plainly as such.
 */
export type HeldOut =
  | { text: string; calls: PlannedCall[] }
  | { text: string; tool: string }
  | { text: string; cannot: 'jobs' | 'endpoints' };

const search = (args: Record<string, unknown>): PlannedCall => ({ tool: 'search_offers', args });
const deploy = (args: Record<string, unknown>): PlannedCall => ({
  tool: 'deploy',
  args: { count: 1, ...args },
});
const one = (tool: string, args: Record<string, unknown>): PlannedCall[] => [{ tool, args } as PlannedCall];

export const HELD_OUT: readonly HeldOut[] = [
  // search_offers
  {
    text: 'any H100s going cheap in Australia?',
    calls: [search({ gpu: 'h100-pcie', region: 'AU', order: 'price' })],
  },
  {
    text: 'l40s offers in apac',
    calls: [search({ gpu: 'l40s', region: 'asia' }), search({ gpu: 'l40s', region: 'oceania' })],
  },
  { text: 'who has the cheapest 3090 right now', calls: [search({ gpu: 'rtx-3090', order: 'price' })] },
  { text: 'price check on a6000s in canada', calls: [search({ gpu: 'rtx-a6000', region: 'CA' })] },
  { text: 'look up twelve 4090 offers', calls: [search({ gpu: 'rtx-4090', limit: 12 })] },
  { text: 'what does an H200 cost in New Zealand?', calls: [search({ gpu: 'h200', region: 'NZ' })] },
  // deploy
  { text: 'could you rent me one 4090 in Japan', calls: [deploy({ gpu: 'rtx-4090', region: 'JP' })] },
  {
    text: 'i want three 3090s under 30 cents each',
    calls: [deploy({ gpu: 'rtx-3090', count: 3, max_price_per_gpu_hour: 0.3 })],
  },
  { text: 'please provision an L40S in france', calls: [deploy({ gpu: 'l40s', region: 'FR' })] },
  { text: 'spin up a couple of A100 80GB boxes', calls: [deploy({ gpu: 'a100-80gb', count: 2 })] },
  // pause / resume / destroy
  { text: 'can you stop i-12 for now', calls: one('pause', { instance: 'i-12' }) },
  { text: 'power down i-8 please', calls: one('pause', { instance: 'i-8' }) },
  { text: 'bring i-4 back online', calls: one('resume', { instance: 'i-4' }) },
  { text: 'could you turn i-9 back on?', calls: one('resume', { instance: 'i-9' }) },
  { text: "we're done with i-5, get rid of it", calls: one('destroy', { instance: 'i-5' }) },
  { text: 'please terminate instance 21', calls: one('destroy', { instance: 'i-21' }) },
  // list / status
  { text: 'which machines do we have?', calls: one('list_instances', {}) },
  { text: 'give me a rundown of our instances', calls: one('list_instances', {}) },
  { text: 'is i-6 healthy?', calls: one('instance_status', { instance: 'i-6' }) },
  { text: "what's going on with i-2", calls: one('instance_status', { instance: 'i-2' }) },
  // snapshot
  { text: 'snapshot i-11 now please', calls: one('snapshot', { instance: 'i-11' }) },
  { text: 'could you snapshot instance 4?', calls: one('snapshot', { instance: 'i-4' }) },
  { text: 'would you take a backup of i-2', calls: one('snapshot', { instance: 'i-2' }) },
  { text: 'create a checkpoint of i-15', calls: one('snapshot', { instance: 'i-15' }) },
  { text: 'save i-6 before I upgrade it', calls: one('snapshot', { instance: 'i-6' }) },
  { text: 'can i get a snapshot of i-8?', calls: one('snapshot', { instance: 'i-8' }) },
  { text: 'back i-3 up', calls: one('snapshot', { instance: 'i-3' }) },
  { text: 'i need a backup of i-10', calls: one('snapshot', { instance: 'i-10' }) },
  // restore
  { text: 'put snap-4 back on i-2', calls: one('restore', { snapshot: 'snap-4', instance: 'i-2' }) },
  { text: 'restore i-5 from snap-9', calls: one('restore', { snapshot: 'snap-9', instance: 'i-5' }) },
  { text: 'can you restore snap-1 to i-3?', calls: one('restore', { snapshot: 'snap-1', instance: 'i-3' }) },
  {
    text: 'roll back i-8 to snapshot snap-6',
    calls: one('restore', { snapshot: 'snap-6', instance: 'i-8' }),
  },
  { text: 'apply snap-12 to i-4', calls: one('restore', { snapshot: 'snap-12', instance: 'i-4' }) },
  // snapshot lists, details, deletion
  { text: 'what backups do we have?', calls: one('list_snapshots', {}) },
  { text: 'which snapshots exist for i-7?', calls: one('list_snapshots', { instance: 'i-7' }) },
  { text: 'what is snap-5?', calls: one('describe_snapshot', { snapshot: 'snap-5' }) },
  { text: 'throw away snap-8', calls: one('delete_snapshot', { snapshot: 'snap-8' }) },
  // failover, hibernate, auto-pause
  { text: 'i-4 is dead, fail it over', calls: one('failover', { instance: 'i-4' }) },
  { text: 'please hibernate i-13', calls: one('hibernate', { instance: 'i-13' }) },
  {
    text: 'pause i-2 if it sits idle for an hour',
    calls: one('auto_pause', { instance: 'i-2', idle_minutes: 60 }),
  },
  // advice stays advice
  { text: 'which gpu should I rent to serve mistral 7b?', tool: 'recommend_gpu' },
  { text: 'how much VRAM do I need to fine-tune llama 3 8b with lora?', tool: 'recommend_gpu' },
  // things gpuops cannot do yet
  { text: 'run my training script on an H100 overnight', cannot: 'jobs' },
  { text: 'execute python finetune.py on i-3', cannot: 'jobs' },
  { text: 'kick off a training run on two 4090s and destroy them when it finishes', cannot: 'jobs' },
  { text: 'host mistral 7b as an api for my team', cannot: 'endpoints' },
  { text: 'deploy an inference endpoint for llama 3 70b', cannot: 'endpoints' },
  { text: 'set up a vLLM server serving qwen 2.5 behind an https url', cannot: 'endpoints' },
];
