/**
 * How gpuops's instance states relate to what the provider says. The provider is the truth about
 * machines: whenever no operation is moving an instance, its record is what `settledState` makes
 * of the provider's status.
 */

/**
 * gpuops's lifecycle state of an instance (the provider's own status is kept beside it).
 * `stopping`, `starting` and `destroying` only last while an operation moves the instance; when
 * it ends, however it ends, the state is settled against the provider (settledState below).
 * `failed`: the machine still exists at the provider but is dead (exited, offline); it can only
 * be destroyed. `destroyed`: the provider no longer has the machine; nothing bills.
 * `hibernated`: the machine was released after its workspace was snapshotted; nothing bills but the
 * snapshot, and resuming it restores that snapshot onto a new machine under the same name.
 * `on_standby`: no GPU could be had when it failed over, so it runs on its CPU standby VM (its SSH
 * address is the VM's); failing back moves it onto a GPU machine again.
 */
export type InstanceState =
  | 'provisioning'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'failed'
  | 'destroying'
  | 'destroyed'
  | 'hibernated'
  | 'on_standby';

/** The instance states gpuops reasons about, mapped from vast.ai's `actual_status`. */
export type ProviderInstanceStatus =
  | 'provisioning'
  | 'loading'
  | 'running'
  | 'stopped'
  | 'exited'
  | 'offline'
  | 'unknown';

/** What the provider says of a machine: one of its statuses, or that it no longer lists it. */
export type ProviderView = ProviderInstanceStatus | 'gone';

/** States in which a machine exists (or may) at the provider: listed, reconciled, destroyable. */
export const LIVE_STATES: readonly InstanceState[] = [
  'provisioning',
  'running',
  'stopping',
  'stopped',
  'starting',
  'destroying',
  'failed',
];

/**
 * States that only last while an operation moves the instance (a deploy provisions it; a pause,
 * resume or destroy moves it). With no operation in flight, a record in one of them is settled to
 * what the provider says the moment gpuops hears from the provider.
 */
export const MOVING_STATES: readonly InstanceState[] = ['provisioning', 'stopping', 'starting', 'destroying'];

/** Provider statuses in which the GPUs are rented and billed. */
const GPU_BILLING: ReadonlySet<ProviderView> = new Set(['provisioning', 'loading', 'running']);

/** Statuses from which vast.ai machines never come back by themselves. */
export const DEAD_STATUSES: ReadonlySet<ProviderView> = new Set(['exited', 'offline', 'unknown']);

/** The record's state that the provider's view implies, for an instance no operation is moving. */
export function settledState(view: ProviderView, previous: InstanceState): InstanceState {
  if (view === 'gone') return 'destroyed';
  if (view === 'running') return 'running';
  if (view === 'stopped') return 'stopped';
  if (DEAD_STATUSES.has(view)) return 'failed';
  // provisioning or loading: a machine that never ran is still being provisioned; one that ran is starting again.
  return previous === 'provisioning' ? 'provisioning' : 'starting';
}

/** Whether the record and the provider tell the same story (an operation may be moving it). */
export function agreesWithProvider(state: InstanceState, view: ProviderView): boolean {
  switch (state) {
    case 'running':
      return view === 'running';
    case 'stopped':
      return view === 'stopped';
    case 'failed':
      return DEAD_STATUSES.has(view);
    case 'destroyed':
      return view === 'gone';
    case 'provisioning':
    case 'starting':
      return view === 'provisioning' || view === 'loading' || view === 'running' || view === 'stopped';
    case 'stopping':
      return view === 'running' || view === 'stopped' || view === 'loading';
    case 'destroying':
      // On its way to gone from wherever it was.
      return true;
    case 'hibernated':
    case 'on_standby':
      // Its GPU machine was released on purpose; the provider has none for it.
      return view === 'gone';
  }
}

/** Whether the GPUs bill: from the provider's view when known, else from the record. */
export function billsGpus(state: InstanceState, view: ProviderView | undefined): boolean {
  if (view !== undefined) return GPU_BILLING.has(view);
  return state === 'running' || state === 'provisioning' || state === 'starting' || state === 'stopping';
}
