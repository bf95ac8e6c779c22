import { getInstance } from '../../../db/repositories/instances.ts';
import { addNotice } from '../../../db/repositories/notices.ts';
import { findInFlightOperation, getOperation } from '../../../db/repositories/operations.ts';
import { markProgressShown } from '../../../db/repositories/progress-messages.ts';
import {
  claimDueTime,
  deleteSnapshotPolicy,
  listSnapshotSchedules,
  releaseDueTime,
  setScheduledOperation,
} from '../../../db/repositories/snapshot-policies.ts';
import type { SnapshotPolicyRow } from '../../../db/schema.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { ReplyTarget, RequestContext } from '../../domain/request-context.ts';
import { purgeDeletedSnapshots } from '../operations/snapshot-purge.ts';
import type { QueueBackend } from '../queue/backend.ts';
import type { SnapshotServices, WorkerServices } from '../queue/job-context.ts';
import type { OperationQueue } from '../queue/operation-queue.ts';
import { SNAPSHOT_MAINTENANCE_QUEUE } from '../queue/queue-names.ts';
import { startScheduledPass } from './scheduled-pass.ts';

/**
 * The snapshot maintenance tick: snapshot schedules ("snapshot i-3 every hour") queued when due,
 * and the storage clean-up (src/jobs/operations/snapshot-purge.ts) that frees what deleted
 * snapshots alone used, retried here when a snapshot or restore held the storage at the time.
 */

type Services = WorkerServices & { snapshots: SnapshotServices };

/** What one look at the schedules did. */
export interface ScheduleReport {
  queued: Array<{ instance: string; operation: string; due: string }>;
  skipped: Array<{ instance: string; why: string }>;
  ended: string[];
}

/** The latest due time of a schedule at `now` (anchor plus whole intervals), or undefined before the first. */
export function dueTimeAt(policy: Pick<SnapshotPolicyRow, 'schedule_anchor' | 'every_minutes'>, now: Date) {
  if (!policy.schedule_anchor || !policy.every_minutes) return undefined;
  const interval = policy.every_minutes * 60_000;
  const slots = Math.floor((now.getTime() - policy.schedule_anchor.getTime()) / interval);
  if (slots < 1) return undefined;
  return new Date(policy.schedule_anchor.getTime() + slots * interval);
}

/** The operation id of a schedule's snapshot for one due time: the same for every worker that gets there. */
export function scheduledOperationId(policyId: number, due: Date): string {
  return `op-sched-${policyId}-${Math.floor(due.getTime() / 1000).toString(36)}`;
}

/**
 * Queues the snapshots that are due: at most one per schedule and due time (claimed in the
 * database, and under an operation id derived from both), none on an instance that is not
 * running or is busy (tried again at the next tick while that due time is the latest). A
 * scheduled snapshot posts nothing; one that fails leaves a one-line notice in its channel.
 */
export async function runSnapshotSchedules(
  services: WorkerServices,
  operations: Pick<OperationQueue, 'enqueue'>,
  now = new Date(),
): Promise<ScheduleReport> {
  const { db, log } = services;
  const report: ScheduleReport = { queued: [], skipped: [], ended: [] };
  for (const policy of await listSnapshotSchedules(db)) {
    const ref = instanceRef(policy.instance_id);
    try {
      await reportLastOutcome(services, policy);
      const instance = await getInstance(db, policy.instance_id);
      if (!instance || instance.state === 'destroyed') {
        await deleteSnapshotPolicy(db, policy.instance_id);
        report.ended.push(ref);
        await addNotice(db, {
          channel: policy.channel,
          reply_to: policy.reply_to === null ? null : JSON.stringify(policy.reply_to),
          instance_id: policy.instance_id,
          text: `${ref} is destroyed, so its snapshot schedule (every ${policy.every_minutes} min) has ended.`,
        });
        continue;
      }
      const due = dueTimeAt(policy, now);
      if (!due || (policy.last_due_at && due <= policy.last_due_at)) continue;
      if (instance.state !== 'running') {
        report.skipped.push({ instance: ref, why: `it is ${instance.state}` });
        continue;
      }
      const busy = await findInFlightOperation(db, instance.id);
      if (busy) {
        report.skipped.push({ instance: ref, why: `busy with ${busy.kind} ${busy.id}` });
        continue;
      }
      const operationId = scheduledOperationId(policy.id, due);
      if (!(await claimDueTime(db, policy, due)) || (await getOperation(db, operationId))) continue;
      try {
        await operations.enqueue({
          kind: 'snapshot',
          args: { instance: ref, scheduled: true },
          context: scheduleContext(policy),
          instanceId: instance.id,
          operationId,
        });
      } catch (err) {
        // Nothing was queued for this due time: the next tick may try it again.
        await releaseDueTime(db, policy.id, due, policy.last_due_at ?? policy.schedule_anchor!);
        report.skipped.push({ instance: ref, why: err instanceof Error ? err.message : String(err) });
        continue;
      }
      // Its progress is shown nowhere: no message is owed.
      await markProgressShown(db, operationId);
      await setScheduledOperation(db, policy.id, operationId);
      report.queued.push({ instance: ref, operation: operationId, due: due.toISOString() });
    } catch (err) {
      log.warn({ err, instance: ref }, 'snapshot schedule could not be looked at; the next tick retries');
    }
  }
  if (report.queued.length + report.ended.length > 0) log.info(report, 'snapshot schedules');
  return report;
}

function scheduleContext(policy: SnapshotPolicyRow): RequestContext {
  // No progress message: only where to leave a notice, never a message to edit.
  const { message: _message, ...replyTo } = (policy.reply_to ?? {
    surface: 'schedule',
    channel: policy.channel,
  }) as ReplyTarget;
  return {
    user: 'gpuops',
    userName: `snapshot schedule set by ${policy.requester}`,
    channel: policy.channel,
    replyTo,
  };
}

/** Tells the channel, in one line, when the schedule's last snapshot failed; forgets it once it has ended. */
async function reportLastOutcome(services: WorkerServices, policy: SnapshotPolicyRow): Promise<void> {
  if (!policy.last_operation_id) return;
  const operation = await getOperation(services.db, policy.last_operation_id);
  if (operation && (operation.state === 'queued' || operation.state === 'running')) return;
  if (!(await setScheduledOperation(services.db, policy.id, null, policy.last_operation_id))) return;
  if (operation?.state !== 'failed') return;
  await addNotice(services.db, {
    channel: policy.channel,
    reply_to: policy.reply_to === null ? null : JSON.stringify(policy.reply_to),
    instance_id: policy.instance_id,
    text: `The scheduled snapshot of ${instanceRef(policy.instance_id)} (${operation.id}) failed: ${operation.error?.message ?? 'no reason recorded'} The schedule stays on.`,
  });
}

/** The snapshot tick on a BullMQ job scheduler: every `snapshotTickMs`, by any one worker. */
export interface SnapshotMaintenanceHandle {
  close(): Promise<void>;
}

export async function startSnapshotMaintenance(
  backend: QueueBackend,
  services: Services,
  operations: Pick<OperationQueue, 'enqueue'>,
): Promise<SnapshotMaintenanceHandle | undefined> {
  const interval = services.config.snapshotTickMs;
  if (interval <= 0) return undefined;
  return startScheduledPass(backend, {
    queue: SNAPSHOT_MAINTENANCE_QUEUE,
    everyMs: interval,
    deploymentId: services.deploymentId,
    log: services.log,
    what: 'snapshot maintenance tick',
    async run() {
      const schedules = await runSnapshotSchedules(services, operations);
      const purge = await purgeDeletedSnapshots(services);
      return { schedules, purge: purge.state };
    },
  });
}
