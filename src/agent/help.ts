import type { ToolName } from '../tools/schemas.ts';

/** What gpuops tells people it can do: the answer to "help" and the tail of every "I don't understand". */
export const EXAMPLES = [
  'what GPUs are available under $0.40/hr?',
  'show me A100 80GB offers in Europe',
  'deploy a 4090 with pytorch under 50 cents an hour',
  'rent 2x A100 80GB, 200 GB disk',
  'list my instances',
  'status of i-3',
  'pause i-3 / resume i-3 / destroy i-3',
];

/** The examples a "not understood" answer shows: few enough to read, one per everyday act. */
export const FALLBACK_EXAMPLES: readonly string[] = EXAMPLES.slice(0, 5);

/**
 * What each tool lets people do, as "what it can do" says it; tools sharing a phrase are named
 * once. Keyed by every tool, so a tool cannot be added without saying what it is for, and the
 * answer never leaves out, or denies, something gpuops can do.
 */
const CAN_DO: Readonly<Record<ToolName, string>> = {
  search_offers: 'search GPU offers',
  recommend_gpu: 'recommend a GPU for a model',
  deploy_recommendation: 'recommend a GPU for a model',
  deploy: 'deploy machines',
  list_instances: 'list and check instances',
  instance_status: 'list and check instances',
  pause: 'pause, resume or destroy them',
  resume: 'pause, resume or destroy them',
  destroy: 'pause, resume or destroy them',
  auto_pause: 'pause them when idle',
  stop_auto_pause: 'pause them when idle',
  keep_running: 'pause them when idle',
  idle_savings: 'pause them when idle',
  hibernate: 'hibernate them',
  hibernation_policy: 'hibernate them',
  snapshot: 'snapshot and restore their workspaces (on a schedule too)',
  list_snapshots: 'snapshot and restore their workspaces (on a schedule too)',
  describe_snapshot: 'snapshot and restore their workspaces (on a schedule too)',
  delete_snapshot: 'snapshot and restore their workspaces (on a schedule too)',
  snapshot_policy: 'snapshot and restore their workspaces (on a schedule too)',
  restore: 'snapshot and restore their workspaces (on a schedule too)',
  restore_to_new_instance: 'snapshot and restore their workspaces (on a schedule too)',
  failover: 'move them to new machines (failover)',
  auto_failover: 'move them to new machines (failover)',
  standby: 'keep a CPU standby for them',
};

/** "I can search GPU offers, …, and keep a CPU standby for them." */
export function capabilities(): string {
  const phrases = [...new Set(Object.values(CAN_DO))];
  return `I can ${phrases.slice(0, -1).join(', ')} and ${phrases.at(-1)}.`;
}

export function helpText(): string {
  return [
    'I find, rent and run GPUs on the marketplace for this channel. Things you can say:',
    ...EXAMPLES.map((e) => `  • ${e}`),
    capabilities(),
    'Prices are per GPU per hour. Deploy, pause, resume and destroy run as jobs with progress here; destroy asks first.',
  ].join('\n');
}

/** The one "not understood" answer: why, what gpuops can do, and requests that work. */
export function notUnderstood(reason = "Sorry, I didn't understand that."): string {
  return [
    `${reason} ${capabilities()}`,
    'Try one of these:',
    ...FALLBACK_EXAMPLES.map((e) => `  • ${e}`),
    'Say "help" for everything I can do.',
  ].join('\n');
}
