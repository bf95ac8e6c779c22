import { recordAudit } from '../../../db/repositories/audit.ts';
import { getSnapshotPolicy } from '../../../db/repositories/snapshot-policies.ts';
import {
  completeSnapshotsOf,
  markSnapshotDeleted,
  snapshotsBeingRestored,
} from '../../../db/repositories/snapshots.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { WorkerServices } from '../queue/job-context.ts';

/**
 * Snapshot retention: keep the last N complete snapshots of an instance. Applied after every
 * snapshot; the storage the deleted ones alone used is freed by ./snapshot-purge.ts.
 */

/** How many complete snapshots of the instance to keep: its own policy, else the deployment's; 0 keeps all. */
export async function keepLastOf(services: WorkerServices, instanceId: number): Promise<number> {
  const policy = await getSnapshotPolicy(services.db, instanceId);
  return policy?.keep_last ?? services.config.snapshotKeep;
}

/**
 * Deletes the instance's complete snapshots beyond the newest `keep` (through the same path as
 * "delete snap-3": marked deleted now, storage freed by the clean-up). Never the newest complete
 * one, and never one a queued or running restore reads. Returns the snapshots deleted.
 */
export async function applyRetention(
  services: WorkerServices,
  instanceId: number,
  actor: string,
): Promise<{ keep: number; deleted: string[] }> {
  const keep = await keepLastOf(services, instanceId);
  if (keep <= 0) return { keep, deleted: [] };
  const complete = await completeSnapshotsOf(services.db, instanceId);
  const beyond = complete.slice(Math.max(keep, 1));
  if (beyond.length === 0) return { keep, deleted: [] };
  const reading = await snapshotsBeingRestored(services.db);
  const deleted: string[] = [];
  for (const snapshot of beyond) {
    const ref = `snap-${snapshot.id}`;
    if (reading.has(ref)) continue;
    const row = await markSnapshotDeleted(services.db, snapshot.id);
    if (!row) continue;
    deleted.push(ref);
    await recordAudit(services.db, {
      actor,
      action: 'delete_snapshot',
      target: ref,
      channel: row.channel,
      outcome: 'ok',
      price_per_hour: null,
      details: JSON.stringify({ instance: instanceRef(instanceId), reason: 'retention', keep }),
    });
  }
  if (deleted.length > 0) {
    services.log.info({ instanceId, keep, deleted }, 'snapshots beyond retention deleted');
  }
  return { keep, deleted };
}
