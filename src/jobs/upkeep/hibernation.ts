import { createHash } from 'node:crypto';
import { listInstances } from '../../../db/repositories/instances.ts';
import { addInstanceNotice } from '../../../db/repositories/notices.ts';
import { findInFlightOperation, getOperation, instanceThread } from '../../../db/repositories/operations.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { formatElapsed } from '../../format/text.ts';
import { AUTOMATIC_REQUESTER, type WorkerServices } from '../queue/job-context.ts';
import type { OperationQueue } from '../queue/operation-queue.ts';

/**
 * Hibernation by policy: an instance paused for longer than its `hibernate_after_ms` is hibernated
 * (jobs/operations/hibernate-job.ts). One operation per pause: its id comes from the instance and the time it
 * was paused, so a pass repeated or run by two workers queues it once.
 */

function hibernationId(row: InstanceRow): string {
  const digest = createHash('sha256').update(`${row.id}:${row.stopped_at!.toISOString()}`).digest('hex');
  return `op-hb${digest.slice(0, 12)}`;
}

/** Queues the hibernation of every instance paused past its policy; returns the instances. */
export async function hibernateDue(
  services: WorkerServices,
  operations: Pick<OperationQueue, 'enqueue'>,
  now = new Date(),
): Promise<string[]> {
  const { db, log } = services;
  const rows = (await listInstances(db, { states: ['stopped'] })).filter(
    (row) =>
      row.hibernate_after_ms !== null &&
      row.stopped_at !== null &&
      now.getTime() - row.stopped_at.getTime() >= Number(row.hibernate_after_ms),
  );
  const started: string[] = [];
  for (const row of rows) {
    const operationId = hibernationId(row);
    if (await getOperation(db, operationId)) continue;
    if (await findInFlightOperation(db, row.id)) continue;
    const thread = await instanceThread(db, row);
    try {
      await operations.enqueue({
        kind: 'hibernate',
        operationId,
        args: { instance: instanceRef(row.id), reason: 'auto' },
        context: {
          user: AUTOMATIC_REQUESTER,
          userName: 'gpuops hibernation',
          channel: row.channel,
          replyTo: thread,
        },
        instanceId: row.id,
      });
    } catch (err) {
      log.warn({ err, instance: row.id }, 'could not queue a hibernation; the next pass tries again');
      continue;
    }
    await addInstanceNotice(
      db,
      row,
      `${instanceRef(row.id)} has been paused for ${formatElapsed(now.getTime() - row.stopped_at!.getTime())}, past its hibernation time: snapshotting its workspace and releasing its machine so its disk stops billing (operation ${operationId}). "resume ${instanceRef(row.id)}" wakes it later.`,
    );
    started.push(instanceRef(row.id));
  }
  return started;
}
