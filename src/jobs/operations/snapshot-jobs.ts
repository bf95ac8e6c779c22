import {
  completeSnapshot,
  failSnapshot,
  getSnapshot,
  latestCompleteSnapshot,
  startSnapshotRow,
} from '../../../db/repositories/snapshots.ts';
import type { InstanceRow, SnapshotRow } from '../../../db/schema.ts';
import { type Manifest, manifestKey, summarizeManifest } from '../../cloud/snapshot/manifest.ts';
import {
  type RestoreReport,
  restoreWorkspace,
  snapshotWorkspace,
} from '../../cloud/snapshot/workspace-snapshot.ts';
import type { SshTarget } from '../../cloud/ssh/ssh-client.ts';
import { SshSession } from '../../cloud/ssh/ssh-session.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../../errors.ts';
import { formatBytes } from '../../format/text.ts';
import { type JobContext, type JobHandler, operationArgs, snapshotServicesOf } from '../queue/job-context.ts';
import { withStorageLease } from '../queue/storage-lease.ts';
import { loadOperationInstance, withLiveSsh } from './operation-instance.ts';
import { purgeDeletedSnapshots } from './snapshot-purge.ts';
import { applyRetention } from './snapshot-retention.ts';

/**
 * Snapshot and restore jobs. Both run on an instance that is running (SSH must answer); both are
 * safe to run again: a retried snapshot reuses its row and uploads only what is not stored yet,
 * and a restore writes the same files again and verifies them again. Both hold a shared lease on
 * the storage while they work (src/jobs/queue/storage-lease.ts), so the clean-up never deletes content
 * a snapshot found already stored (and so skipped), or that a restore is reading.
 */

async function runningTarget(ctx: JobContext): Promise<InstanceRow & { ssh_host: string; ssh_port: number }> {
  const row = await loadOperationInstance(ctx);
  // Reached where the provider says the machine is now, not where it was when last recorded.
  const live = row.state === 'running' ? await withLiveSsh(ctx, row) : undefined;
  if (!live) {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${instanceRef(row.id)} is ${row.state === 'running' ? 'not running at the provider' : row.state}; its workspace can be reached only while it runs. Resume it first.`,
    );
  }
  return live;
}

async function openSession(
  ctx: JobContext,
  row: { ssh_host: string; ssh_port: number },
): Promise<SshSession> {
  return SshSession.open({ host: row.ssh_host, port: row.ssh_port, privateKey: ctx.sshKey.privateKey });
}

export const runSnapshot: JobHandler = async (ctx) => {
  const row = await runningTarget(ctx);
  const args = operationArgs(ctx.operation, 'snapshot');
  const done = await snapshotInstance(ctx, row, { name: args.name ?? null });
  const ref = `snap-${done.id}`;
  const named = done.name ? ` "${done.name}"` : '';
  const retention = await applyRetention(ctx, row.id, 'gpuops (retention)');
  if (retention.deleted.length > 0) {
    // Frees their storage now if nothing else holds it; otherwise the next maintenance tick does.
    await purgeDeletedSnapshots({ ...ctx, snapshots: snapshotServicesOf(ctx) }).catch((err: unknown) =>
      ctx.log.warn({ err }, 'snapshot storage clean-up failed; the next tick retries'),
    );
  }
  const removed =
    retention.deleted.length > 0
      ? ` Deleted ${retention.deleted.join(', ')} (keeping the last ${retention.keep}).`
      : '';
  return {
    instance: instanceRef(row.id),
    state: 'running',
    snapshot: ref,
    summary: `${ref}${named} of ${instanceRef(row.id)}: ${done.files} files, ${formatBytes(Number(done.bytes))} (${formatBytes(Number(done.uploaded_bytes))} new). Say "restore ${ref} onto i-…" to bring it back.${removed}`,
  };
};

/**
 * Takes this operation's snapshot of a running instance (one per operation: a retry reuses its row
 * and uploads only what is not stored yet) and returns it complete; reports the snapshot steps
 * from `firstStep` on.
 */
export async function snapshotInstance(
  ctx: JobContext,
  row: InstanceRow & { ssh_host: string; ssh_port: number },
  options: {
    name: string | null;
    firstStep?: number;
    /** Where the workspace is when not on the instance's own machine (its CPU standby). */
    from?: WorkspaceLocation;
  },
): Promise<SnapshotRow> {
  const services = snapshotServicesOf(ctx);
  const store = await services.store();
  const firstStep = options.firstStep ?? 0;
  const snapshot = await startSnapshotRow(ctx.db, {
    operationId: ctx.operation.id,
    instanceId: row.id,
    name: options.name,
    channel: ctx.operation.channel,
    requester: ctx.operation.requester,
  });
  if (snapshot.state === 'deleted') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `snap-${snapshot.id} was deleted before it could be taken again.`,
    );
  }
  if (snapshot.state !== 'complete') {
    await withStorageLease(ctx.db, storageLeaseFor(ctx, 'snapshot'), async (lease) => {
      try {
        // The base is chosen under the lease: its manifest cannot be purged while this runs.
        const base = await latestCompleteSnapshot(ctx.db, row.id, snapshot.id);
        const previous = base
          ? (JSON.parse(await store.getText(manifestKey(`snap-${base.id}`))) as Manifest)
          : undefined;
        const session = options.from ? await SshSession.open(options.from.ssh) : await openSession(ctx, row);
        try {
          const report = await snapshotWorkspace({
            session,
            store,
            root: options.from?.root ?? services.workspaceDir,
            snapshotId: `snap-${snapshot.id}`,
            previous,
            onStep: (step, detail) => ctx.report(firstStep + step, detail),
          });
          // Content found stored (and so not uploaded) can be relied on only if no clean-up ran meanwhile.
          await lease.confirm();
          await completeSnapshot(ctx.db, snapshot.id, {
            files: report.files,
            bytes: report.bytes,
            uploadedBytes: report.uploadedBytes,
            contents: summarizeManifest(report.manifest),
          });
        } finally {
          session.close();
        }
      } catch (err) {
        const error = asGpuopsError(err);
        await failSnapshot(ctx.db, snapshot.id, { code: error.code, message: error.message });
        throw err;
      }
    });
  }
  return (await getSnapshot(ctx.db, snapshot.id))!;
}

/** A workspace reached some other way than the instance's own SSH address and folder. */
export interface WorkspaceLocation {
  ssh: SshTarget;
  root: string;
}

export const runRestore: JobHandler = async (ctx) => {
  const row = await runningTarget(ctx);
  const args = operationArgs(ctx.operation, 'restore');
  const report = await restoreSnapshotOnto(ctx, row, args.snapshot);
  return {
    instance: instanceRef(row.id),
    state: 'running',
    snapshot: args.snapshot,
    summary: `${args.snapshot} restored onto ${instanceRef(row.id)} and verified: ${report.files} files, ${formatBytes(report.bytes)}, no mismatches, in ${(report.ms / 1000).toFixed(1)} s.`,
  };
};

/**
 * Streams a complete snapshot onto a running machine and verifies every entry against its
 * manifest; throws SnapshotMismatch when any differs, so a restore never reports success it did
 * not have. Reports the restore steps from `firstStep` on.
 */
export async function restoreSnapshotOnto(
  ctx: JobContext,
  target: { id: number; ssh_host: string; ssh_port: number },
  snapshotRef: string,
  firstStep = 0,
): Promise<RestoreReport> {
  const services = snapshotServicesOf(ctx);
  const store = await services.store();
  return withStorageLease(ctx.db, storageLeaseFor(ctx, 'restore'), async () => {
    // Looked at under the lease: a snapshot deleted from here on keeps its content until this ends.
    const snapshot = await getSnapshot(ctx.db, Number(snapshotRef.slice('snap-'.length)));
    if (snapshot?.state !== 'complete') {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `${snapshotRef} is not a complete snapshot${snapshot?.state === 'deleted' ? ' (it was deleted)' : ''}; nothing was restored.`,
      );
    }
    const manifest = JSON.parse(await store.getText(manifestKey(snapshotRef))) as Manifest;
    const session = await openSession(ctx, target);
    try {
      const report = await restoreWorkspace({
        session,
        store,
        root: services.workspaceDir,
        manifest,
        onStep: (step, detail) => ctx.report(firstStep + step, detail),
      });
      if (report.mismatchCount > 0) {
        throw new GpuopsError(
          ErrorCode.SnapshotMismatch,
          `${snapshotRef} was written onto ${instanceRef(target.id)}, but ${report.mismatchCount} of its entries do not match it: ${report.mismatches.slice(0, 3).join('; ')}. Do not rely on this copy.`,
          { details: { mismatches: report.mismatches } },
        );
      }
      return report;
    } finally {
      session.close();
    }
  });
}

/** A shared lease on the storage for this operation's snapshot or restore; a shutdown stops the wait. */
function storageLeaseFor(ctx: JobContext, what: 'snapshot' | 'restore') {
  return {
    mode: 'shared' as const,
    holder: `${what} ${ctx.operation.id}`,
    ...(ctx.shutdown && { signal: ctx.shutdown }),
  };
}
