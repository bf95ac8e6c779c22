import { updateFailover } from '../../../db/repositories/failovers.ts';
import { updateInstance } from '../../../db/repositories/instances.ts';
import { getStandby, updateStandby } from '../../../db/repositories/standbys.ts';
import type { FailoverRow, InstanceRow, SnapshotRow, StandbyRow } from '../../../db/schema.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { JobContext } from '../queue/job-context.ts';
import type { WorkspaceLocation } from './snapshot-jobs.ts';
import { standbyServicesOf } from './standby-services.ts';
import { prepareStandby, standbyTarget } from './standby-sync.ts';

/**
 * Failover onto the instance's CPU standby on GCP, when no GPU can be had under its ceiling, and
 * the way back. While the instance runs there its record says `on_standby` (its SSH address is the
 * VM's) and the standby says `serving`, so no scheduled sync writes over the work being done on it.
 */

/** The instance's standby, when one is configured and could take the instance now. */
export async function usableStandby(ctx: JobContext, instanceId: number): Promise<StandbyRow | undefined> {
  if (!ctx.standby) return undefined;
  const standby = await getStandby(ctx.db, instanceId);
  return standby && (standby.state === 'ready' || standby.state === 'stopped') ? standby : undefined;
}

/**
 * Brings the standby up to the snapshot being moved (started if GCP stopped it, synced and verified)
 * and points the record at it.
 */
export async function moveToStandby(
  ctx: JobContext,
  row: InstanceRow,
  failover: FailoverRow,
  snapshot: SnapshotRow,
  steps: { find: number; restore: number; move: number },
): Promise<{ row: InstanceRow; failover: FailoverRow; dataMs: number }> {
  const started = Date.now();
  const target = await prepareStandby(ctx, row.id, {
    ...(ctx.shutdown && { signal: ctx.shutdown }),
    onStep: (_step, detail) => ctx.report(steps.restore, detail),
  });
  if (target.snapshotId < snapshot.id) {
    throw new GpuopsError(
      ErrorCode.Internal,
      `${instanceRef(row.id)}'s standby holds ${target.snapshot}, older than ${`snap-${snapshot.id}`}; nothing was moved.`,
    );
  }
  const dataMs = Date.now() - started;
  await ctx.report(steps.move, `${instanceRef(row.id)} → standby VM ${target.vmName}`);
  await updateStandby(ctx.db, row.id, { state: 'serving' }, ['ready', 'stopped']);
  const now = new Date();
  const moved = await updateInstance(ctx.db, row.id, {
    state: 'on_standby',
    provider_instance_id: null,
    provider_status: 'gone',
    offer_id: null,
    // The GPU it had stays written down: failing back looks for the same again.
    price_per_hour: target.hourlyCost ?? 0,
    location: `GCP ${target.zone}`,
    ssh_host: target.ssh.host,
    ssh_port: target.ssh.port,
    running_since: now,
    stopped_at: null,
    hibernated_at: null,
  });
  const updated = await updateFailover(ctx.db, failover.id, {
    new_provider_instance_id: `gcp:${target.vmName}`,
    new_gpu_name: `CPU standby (${target.machineType}${target.spot ? ', spot' : ''})`,
    new_price_per_hour: target.hourlyCost,
    new_location: `GCP ${target.zone}`,
    snapshot_id: target.snapshotId,
    moved_at: now,
    recovery_ms: now.getTime() - ctx.operation.created_at.getTime(),
    provider_wait_ms: 0,
  });
  return { row: moved, failover: updated, dataMs };
}

/** Where the workspace of an instance running on its standby is: the VM's copy. */
export async function standbyWorkspace(ctx: JobContext, row: InstanceRow): Promise<WorkspaceLocation> {
  const standby = await getStandby(ctx.db, row.id);
  if (standby?.state !== 'serving') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${instanceRef(row.id)} is on its standby, but the standby is ${standby?.state ?? 'gone'}; its workspace cannot be read.`,
    );
  }
  return { ssh: standbyTarget(ctx, standby), root: standbyServicesOf(ctx).gcp.workspaceDir };
}

/** After failing back, the VM is a standby again: scheduled syncs keep it current from here on. */
export async function releaseStandbyAfterFailback(ctx: JobContext, instanceId: number): Promise<void> {
  await updateStandby(ctx.db, instanceId, { state: 'ready' }, ['serving']);
}
