import type { PlannedCall } from '../../../../src/tools/schemas.ts';

/**
 * A held-out set: ordinary ways of asking that the planner was not tuned on, written before the
 * vocabulary and fallback work of issue #17, to measure whether it understands more than before.
 * Never tune the planner against these one by one; add new ones instead.
 *
 * `calls`: the exact calls expected. `tool`: only the tool is checked (arguments too rich to pin).
 * `cannot`: a request for something gpuops cannot do yet, answered plainly as such.
 * `asks`: a request gpuops can do but that leaves out what it needs, asked about rather than guessed.
 */
export type HeldOut =
  | { text: string; calls: PlannedCall[] }
  | { text: string; tool: string }
  | { text: string; cannot: 'endpoints' }
  | { text: string; asks: 'command' };

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
  // jobs: written as things gpuops could not do yet; since issue #18 it runs them, and asks for
  // the command where none is said
  { text: 'run my training script on an H100 overnight', asks: 'command' },
  {
    text: 'execute python finetune.py on i-3',
    calls: one('run_job', { command: 'python finetune.py', instance: 'i-3' }),
  },
  { text: 'kick off a training run on two 4090s and destroy them when it finishes', asks: 'command' },
  // things gpuops cannot do yet
  { text: 'host mistral 7b as an api for my team', cannot: 'endpoints' },
  { text: 'deploy an inference endpoint for llama 3 70b', cannot: 'endpoints' },
  { text: 'set up a vLLM server serving qwen 2.5 behind an https url', cannot: 'endpoints' },
  // Added with the move of the remaining tools into the scoring (issue #17, step 3): written
  // before that work and scored first, never tuned one by one.
  { text: 'bring snap-7 back on a fresh 3090', tool: 'restore_to_new_instance' },
  { text: 'spin up a new machine from snap-2', tool: 'restore_to_new_instance' },
  { text: 'list the backups of instance 6', calls: one('list_snapshots', { instance: 'i-6' }) },
  { text: 'show me the checkpoints for i-2', calls: one('list_snapshots', { instance: 'i-2' }) },
  {
    text: 'could you snapshot i-5 every 12 hours?',
    calls: one('snapshot_policy', { instance: 'i-5', every_minutes: 720 }),
  },
  { text: 'back up i-9 nightly', calls: one('snapshot_policy', { instance: 'i-9', every_minutes: 1440 }) },
  {
    text: 'no more scheduled backups for i-4',
    calls: one('snapshot_policy', { instance: 'i-4', stop_schedule: true }),
  },
  { text: 'move i-6 to another host', calls: one('failover', { instance: 'i-6' }) },
  { text: 'i-3 went down, can you recover it?', calls: one('failover', { instance: 'i-3' }) },
  {
    text: 'switch on automatic failover for i-8',
    calls: one('auto_failover', { instance: 'i-8', enabled: true }),
  },
  { text: 'turn auto failover off on i-8', calls: one('auto_failover', { instance: 'i-8', enabled: false }) },
  {
    text: 'could you hibernate instance 6 and i-7',
    calls: [...one('hibernate', { instance: 'i-6' }), ...one('hibernate', { instance: 'i-7' })],
  },
  {
    text: 'hibernate i-2 once it has been paused for 3 hours',
    calls: one('hibernation_policy', { instance: 'i-2', after_minutes: 180 }),
  },
  {
    text: "don't hibernate i-2 anymore",
    calls: one('hibernation_policy', { instance: 'i-2', after_minutes: null }),
  },
  {
    text: 'please set up a standby for instance 5',
    calls: one('standby', { instance: 'i-5', enabled: true }),
  },
  { text: 'remove the cpu standby from i-5', calls: one('standby', { instance: 'i-5', enabled: false }) },
  {
    text: 'auto pause i-7 after 45 minutes of idling',
    calls: one('auto_pause', { instance: 'i-7', idle_minutes: 45 }),
  },
  { text: 'stop auto pausing instance 7', calls: one('stop_auto_pause', { instance: 'i-7' }) },
  { text: 'leave i-7 running for 2 hours', calls: one('keep_running', { instance: 'i-7', minutes: 120 }) },
  { text: 'how much has auto-pause saved us this month?', calls: one('idle_savings', { period: 'month' }) },
  {
    text: 'wipe snap-3 and snap-4',
    calls: [
      ...one('delete_snapshot', { snapshot: 'snap-3' }),
      ...one('delete_snapshot', { snapshot: 'snap-4' }),
    ],
  },
  { text: 'details on snapshot snap-11', calls: one('describe_snapshot', { snapshot: 'snap-11' }) },
  {
    text: 'pause i-2 and then hibernate i-3',
    calls: [...one('pause', { instance: 'i-2' }), ...one('hibernate', { instance: 'i-3' })],
  },
  {
    text: 'snapshot i-4 and fail it over',
    calls: [...one('snapshot', { instance: 'i-4' }), ...one('failover', { instance: 'i-4' })],
  },
  { text: 'run ./finetune.sh on i-2', calls: one('run_job', { command: './finetune.sh', instance: 'i-2' }) },
  { text: 'serve mistral 7b with TGI', cannot: 'endpoints' },
];
