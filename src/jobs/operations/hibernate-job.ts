import { recordAudit } from '../../../db/repositories/audit.ts';
import { hibernatedColumns, updateInstance } from '../../../db/repositories/instances.ts';
import { addInstanceNotice } from '../../../db/repositories/notices.ts';
import { snapshotOfOperation } from '../../../db/repositories/snapshots.ts';
import type { InstanceRow, SnapshotRow } from '../../../db/schema.ts';
import { diskCostPerHour } from '../../cloud/provider.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import { asGpuopsError, ErrorCode, GpuopsError, isGpuopsError } from '../../errors.ts';
import { formatBytes, formatPrice } from '../../format/text.ts';
import { type JobContext, type JobHandler, operationArgs } from '../queue/job-context.ts';
import { loadOperationInstance, withLiveSsh } from './operation-instance.ts';
import { snapshotInstance } from './snapshot-jobs.ts';
import { waitForStatus, waitUntilGone } from './wait-for-status.ts';

/**
 * Hibernation: snapshots an instance's workspace and releases its machine, so neither GPU nor disk
 * bills; the record stays (state `hibernated`) and "resume" restores the snapshot onto a new
 * machine under the same name (a failover with no old machine, jobs/operations/failover-job.ts).
 *
 * A paused machine's workspace cannot be read, so a paused instance is started for the snapshot:
 * nothing is released before every file is stored. If it cannot be started (its GPUs were taken)
 * it stays paused and nothing is lost. Safe to run again: the snapshot is this operation's, and a
 * machine already gone with that snapshot complete is simply recorded as hibernated.
 */

const STEP = { start: 0, snapshot: 1, release: 4, gone: 5 } as const;

export const runHibernate: JobHandler = async (ctx) => {
  const args = operationArgs(ctx.operation, 'hibernate');
  const auto = args.reason === 'auto';
  let row = await loadOperationInstance(ctx);
  try {
    if (row.state === 'hibernated')
      return hibernatedResult(row, await snapshotOfOperation(ctx.db, ctx.operation.id));
    const providerId = row.provider_instance_id;
    if (!providerId) {
      throw new GpuopsError(ErrorCode.InvalidState, `${instanceRef(row.id)} has no machine to hibernate.`);
    }
    const live = await ctx.provider.getInstance(providerId);
    let snapshot = await snapshotOfOperation(ctx.db, ctx.operation.id);
    if (!live && snapshot?.state !== 'complete') {
      throw new GpuopsError(
        ErrorCode.HostFailed,
        `${instanceRef(row.id)}'s machine no longer exists at the provider, so its workspace could not be snapshotted; nothing was hibernated.`,
      );
    }
    let startedHere = false;
    if (live && snapshot?.state !== 'complete') {
      if (live.status === 'stopped' || row.state === 'stopped') {
        row = await startForSnapshot(ctx, row, providerId);
        startedHere = true;
      } else {
        row = (await withLiveSsh(ctx, row)) ?? row;
      }
      try {
        snapshot = await snapshotInstance(ctx, row as InstanceRow & { ssh_host: string; ssh_port: number }, {
          name: 'hibernation',
          firstStep: STEP.snapshot,
        });
      } catch (err) {
        // Not stored: the machine stays as it was, paused if it was paused.
        if (startedHere) await stopAgain(ctx, row, providerId);
        throw err;
      }
    }
    // What the paused machine still cost: its disk, which hibernation stops paying for.
    const diskPerHour = diskCostPerHour(row.disk_gb, live?.storageCostPerGbMonth);
    await ctx.report(STEP.release, `${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}`);
    await updateInstance(ctx.db, row.id, { state: 'destroying' });
    if (await ctx.provider.getInstance(providerId)) await ctx.provider.destroyInstance(providerId);
    await ctx.report(STEP.gone);
    await waitUntilGone(ctx, providerId);
    const hibernated = await updateInstance(ctx.db, row.id, hibernatedColumns(new Date()));
    await recordAudit(ctx.db, {
      actor: auto ? 'gpuops' : ctx.operation.requester,
      action: auto ? 'auto-hibernate' : 'hibernate',
      target: instanceRef(row.id),
      channel: row.channel,
      outcome: 'ok',
      price_per_hour: row.price_per_hour,
      details: JSON.stringify({
        snapshot: `snap-${snapshot!.id}`,
        provider_instance_id: providerId,
        // Money saved from here on, every hour it stays hibernated rather than paused.
        saves_per_hour: diskPerHour,
      }),
    });
    const result = hibernatedResult(hibernated, snapshot, diskPerHour);
    if (auto) {
      await addInstanceNotice(ctx.db, row, result.summary, [
        { label: `Wake ${instanceRef(row.id)}`, tool: 'resume', args: { instance: instanceRef(row.id) } },
      ]);
    }
    return result;
  } catch (err) {
    const error = asGpuopsError(err);
    if (auto && !error.retryable) {
      await tell(
        ctx,
        row,
        `${instanceRef(row.id)} could not be hibernated: ${error.message} It stays as it was; "hibernate ${instanceRef(row.id)}" tries again.`,
      );
    }
    throw err;
  }
};

/** Starts a paused machine so its workspace can be read; a machine whose GPUs were taken stays paused. */
async function startForSnapshot(ctx: JobContext, row: InstanceRow, providerId: string): Promise<InstanceRow> {
  await ctx.report(STEP.start, 'a paused workspace cannot be read: starting the machine for the snapshot');
  try {
    await ctx.provider.startInstance(providerId);
  } catch (err) {
    if (isGpuopsError(err) && err.code === ErrorCode.ResumeUnavailable) {
      throw new GpuopsError(
        ErrorCode.ResumeUnavailable,
        `${instanceRef(row.id)}'s machine cannot start (its GPUs were rented by someone else), so its workspace cannot be read and it was not hibernated; it stays paused with its disk. "failover ${instanceRef(row.id)}" moves it to a new machine from its latest snapshot.`,
        { cause: err },
      );
    }
    throw err;
  }
  await updateInstance(ctx.db, row.id, { state: 'starting' });
  const outcome = await waitForStatus(ctx, providerId, {
    want: 'running',
    stepIndex: STEP.start,
    timeoutMs: ctx.config.deployTimeoutMs,
    needSsh: true,
  });
  if (outcome.kind !== 'reached') {
    throw new GpuopsError(
      ErrorCode.HostFailed,
      `${instanceRef(row.id)}'s machine failed while starting for its snapshot (${outcome.kind === 'gone' ? 'gone' : outcome.instance.status}); it was not hibernated.`,
    );
  }
  return updateInstance(ctx.db, row.id, {
    state: 'running',
    provider_status: 'running',
    ssh_host: outcome.instance.sshHost,
    ssh_port: outcome.instance.sshPort,
    running_since: new Date(),
  });
}

async function stopAgain(ctx: JobContext, row: InstanceRow, providerId: string): Promise<void> {
  try {
    await ctx.provider.stopInstance(providerId);
    await updateInstance(ctx.db, row.id, { state: 'stopping' });
  } catch (err) {
    ctx.log.warn({ op: ctx.operation.id, err }, 'could not pause again a machine started for hibernation');
  }
}

function hibernatedResult(
  row: InstanceRow,
  snapshot: SnapshotRow | undefined,
  diskPerHour: number | null = null,
): OperationResult {
  const what = snapshot
    ? `its workspace is in snap-${snapshot.id} (${snapshot.files} files, ${formatBytes(Number(snapshot.bytes ?? 0))})`
    : 'its workspace is in its latest snapshot';
  const saved =
    diskPerHour !== null && diskPerHour > 0
      ? ` (its ${row.disk_gb} GB disk cost ${formatPrice(diskPerHour)} paused)`
      : '';
  return {
    instance: instanceRef(row.id),
    state: 'hibernated',
    summary: `${instanceRef(row.id)} hibernated: ${what} and its machine was released, so nothing bills but the snapshot${saved}. Say "resume ${instanceRef(row.id)}" to wake it on the best matching offer.`,
  };
}

async function tell(ctx: JobContext, row: InstanceRow, text: string): Promise<void> {
  await addInstanceNotice(ctx.db, row, text);
}
