import {
  liveSnapshots,
  markSnapshotsPurged,
  snapshotsAwaitingPurge,
} from '../../../db/repositories/snapshots.ts';
import { jobOutputSnapshotId } from '../../cloud/jobs/job-artifacts.ts';
import { collectGarbage, type GarbageReport } from '../../cloud/snapshot/snapshot-gc.ts';
import type { SnapshotServices, WorkerServices } from '../queue/job-context.ts';
import { StorageLease } from '../queue/storage-lease.ts';

export type PurgeOutcome =
  | { state: 'nothing' }
  | { state: 'busy'; blockers: string[] }
  | { state: 'done'; purged: string[]; report: GarbageReport };

/**
 * Frees the storage of deleted snapshots: their manifests, and content no other snapshot (of any
 * instance) nor any job's kept output references. Runs only under the storage's exclusive lease,
 * so never beside a snapshot, restore or job output sync under way; when one holds the storage it
 * does nothing and says so ("busy"), and the next tick tries again.
 */
export async function purgeDeletedSnapshots(
  services: WorkerServices & { snapshots: SnapshotServices },
  options: { leaseMs?: number } = {},
): Promise<PurgeOutcome> {
  const { db, log } = services;
  if ((await snapshotsAwaitingPurge(db)).length === 0) return { state: 'nothing' };
  const attempt = await StorageLease.tryAcquire(db, {
    mode: 'exclusive',
    holder: 'snapshot storage clean-up',
    ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
  });
  if (!attempt.lease) {
    log.info({ blockers: attempt.blockers }, 'snapshot storage busy; clean-up deferred to the next tick');
    return { state: 'busy', blockers: attempt.blockers };
  }
  const lease = attempt.lease;
  try {
    // Read under the lease: nothing can complete, start or restore meanwhile.
    const pending = await snapshotsAwaitingPurge(db);
    if (pending.length === 0) return { state: 'nothing' };
    const live = await liveSnapshots(db);
    // Every job's output is kept as a snapshot of its own and shares the same content store. A job
    // that never synced its output has no manifest, hence not required.
    const jobs = await db.selectFrom('jobs').select('id').orderBy('id').execute();
    const store = await services.snapshots.store();
    const report = await collectGarbage({
      store,
      live: [
        ...live.map((s) => ({ id: `snap-${s.id}`, required: s.state === 'complete' })),
        ...jobs.map((job) => ({ id: jobOutputSnapshotId(job.id), required: false })),
      ],
      purge: pending.map((s) => `snap-${s.id}`),
      stillHeld: () => lease.confirm(),
    });
    await lease.confirm();
    await markSnapshotsPurged(
      db,
      pending.map((s) => s.id),
    );
    const purged = pending.map((s) => `snap-${s.id}`);
    log.info({ purged, ...report }, 'deleted snapshots purged from storage');
    return { state: 'done', purged, report };
  } finally {
    await lease.release().catch(() => undefined);
  }
}
