/**
 * Every BullMQ queue gpuops uses, in one place so producers, workers and QueueEvents cannot
 * drift apart. Names must not contain ':' (BullMQ's Redis key separator).
 */

/** deploy, pause, resume, destroy and the other long operations: one queue, the job name is the kind. */
export const OPERATIONS_QUEUE = 'operations';

/** gpuops's own scheduled work: the reconciler's passes. */
export const MAINTENANCE_QUEUE = 'maintenance';

/** Snapshot schedules and the storage clean-up: a tick of their own, apart from the reconciler's. */
export const SNAPSHOT_MAINTENANCE_QUEUE = 'snapshot-maintenance';

/** The idle check's passes (auto-pause): its own tick, apart from the reconciler's. */
export const IDLE_CHECK_QUEUE = 'idle-check';

/** The health monitor's passes (SSH heartbeats, automatic failover): its own tick. */
export const HEALTH_QUEUE = 'health';

/** CPU standby syncs: every standby brought up to its instance's newest snapshot. */
export const STANDBY_SYNC_QUEUE = 'standby-sync';

export const QUEUE_NAMES = [
  OPERATIONS_QUEUE,
  MAINTENANCE_QUEUE,
  SNAPSHOT_MAINTENANCE_QUEUE,
  IDLE_CHECK_QUEUE,
  HEALTH_QUEUE,
  STANDBY_SYNC_QUEUE,
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
