/**
 * Every BullMQ queue gpuops uses, in one place so producers, workers and QueueEvents cannot
 * drift apart. Names must not contain ':' (BullMQ's Redis key separator).
 */

/** deploy, pause, resume, destroy and the other long operations: one queue, the job name is the kind. */
export const OPERATIONS_QUEUE = 'operations';

/** gpuops's own scheduled work: the reconciler's passes. */
export const MAINTENANCE_QUEUE = 'maintenance';

export const QUEUE_NAMES = [OPERATIONS_QUEUE, MAINTENANCE_QUEUE] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
