import { getInstance } from '../../../db/repositories/instances.ts';
import { latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import { beginStandby, getStandby, updateStandby } from '../../../db/repositories/standbys.ts';
import type { GcpCompute } from '../../cloud/gcp/gcp-compute.ts';
import { estimateVmHourlyCost } from '../../cloud/gcp/machine-cost.ts';
import { standbyVmSpec } from '../../cloud/gcp/standby-vm.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../../errors.ts';
import { formatBytes, formatDuration, formatPrice } from '../../format/text.ts';
import {
  type JobHandler,
  operationArgs,
  snapshotServicesOf,
  type WorkerServices,
} from '../queue/job-context.ts';
import { standbyServicesOf } from './standby-services.ts';
import { copySnapshotToStandby } from './standby-sync.ts';

/**
 * The CPU standby's jobs: `standby` makes an instance's standby (a small Compute Engine VM holding
 * a verified copy of the instance's latest complete snapshot, to fail over onto when no GPU can be
 * had), or takes over the one it made before, and copies the snapshot on; `standby_off` deletes it.
 * Afterwards ./standby-sync.ts keeps it in step, run by failover and by the scheduled pass
 * (src/jobs/upkeep/standby-sync-pass.ts).
 */

export const runStandby: JobHandler = async (ctx) => {
  const standby = standbyServicesOf(ctx);
  const snapshots = snapshotServicesOf(ctx);
  const id = ctx.operation.instance_id;
  const instance = id === null ? undefined : await getInstance(ctx.db, id);
  if (!instance) {
    throw new GpuopsError(
      ErrorCode.InstanceNotFound,
      `The instance of operation ${ctx.operation.id} is gone.`,
    );
  }
  ctx.setInstance(instance.id);
  const ref = instanceRef(instance.id);
  const latest = await latestCompleteSnapshot(ctx.db, instance.id, 0);
  if (!latest) {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${ref} has no complete snapshot to put on a standby; say "snapshot ${ref}" first, then enable standby again.`,
    );
  }
  const args = operationArgs(ctx.operation, 'standby');
  const gcp = standby.gcp;
  const machineType = args.machine_type ?? gcp.machineType;
  const spot = args.spot ?? gcp.spot;
  const spec = standbyVmSpec({
    gcp,
    deploymentId: ctx.deploymentId,
    instanceId: instance.id,
    machineType,
    spot,
    sshPublicKey: ctx.sshKey.publicKey,
  });
  const hourlyCost = estimateVmHourlyCost(machineType, spot, gcp.diskGb) ?? null;
  await beginStandby(ctx.db, {
    instanceId: instance.id,
    channel: instance.channel,
    requester: ctx.operation.requester,
    operationId: ctx.operation.id,
    vmName: spec.name,
    zone: gcp.zone,
    machineType,
    spot,
    hourlyCost,
  });
  const compute = await standby.compute(gcp.zone);
  try {
    await ctx.report(0, `${spec.name}: ${machineType}${spot ? ' (spot)' : ''} in ${gcp.zone}`);
    const vm = await compute.createVm(spec);
    await updateStandby(ctx.db, instance.id, { nat_ip: vm.natIp ?? null }, ['creating']);
    const { report } = await copySnapshotToStandby(ctx, standby, snapshots, vm, latest, (step, detail) =>
      ctx.report(1 + step, detail),
    );
    const ready = await updateStandby(
      ctx.db,
      instance.id,
      {
        state: 'ready',
        nat_ip: vm.natIp ?? null,
        synced_snapshot_id: latest.id,
        synced_at: new Date(),
        error: null,
      },
      ['creating'],
    );
    if (!ready) {
      throw new GpuopsError(ErrorCode.Cancelled, `${ref}'s standby was turned off while it was being made.`);
    }
    const cost = hourlyCost === null ? '' : `, about ${formatPrice(hourlyCost)}`;
    const every = ctx.config.standbySyncIntervalMs;
    const schedule =
      every > 0
        ? `It follows ${ref}'s newest snapshot every ${formatDuration(every)}`
        : 'It is synced when a failover needs it (GPUOPS_STANDBY_SYNC_INTERVAL_MS is 0)';
    return {
      instance: ref,
      state: instance.state,
      ...(hourlyCost !== null && { pricePerHour: hourlyCost }),
      location: gcp.zone,
      summary: `${ref} has a CPU standby: VM ${spec.name} (${machineType}${spot ? ', spot' : ''} in ${gcp.zone}${cost}) holding snap-${latest.id}, verified: ${report.files} files, ${formatBytes(report.bytes)}. ${schedule}; "turn off standby for ${ref}" deletes it.`,
    };
  } catch (err) {
    const error = asGpuopsError(err);
    // A retry carries on with the VM it made; an error no retry fixes releases it, so nothing bills.
    if (error.retryable) throw err;
    const released = await releaseFailedStandby(ctx, compute, instance.id, spec.name, error);
    throw new GpuopsError(error.code, `${error.message} ${released}`, { cause: err, details: error.details });
  }
};

export const runStandbyOff: JobHandler = async (ctx) => {
  const standby = standbyServicesOf(ctx);
  const id = ctx.operation.instance_id;
  if (id === null) throw new GpuopsError(ErrorCode.InstanceNotFound, 'The operation names no instance.');
  ctx.setInstance(id);
  const ref = operationArgs(ctx.operation, 'standby_off').instance;
  const row = await getStandby(ctx.db, id);
  if (!row || row.state === 'off') {
    return { instance: ref, state: 'off', summary: `${ref} has no standby; nothing bills for one.` };
  }
  await updateStandby(ctx.db, id, { state: 'deleting', operation_id: ctx.operation.id });
  await ctx.report(0, row.vm_name);
  const compute = await standby.compute(row.zone);
  const existed = await compute.deleteVm(row.vm_name);
  await ctx.report(1);
  await updateStandby(ctx.db, id, {
    state: 'off',
    nat_ip: null,
    error: null,
    sync_lease_until: null,
    sync_holder: null,
  });
  return {
    instance: ref,
    state: 'off',
    summary: existed
      ? `Deleted ${ref}'s standby VM ${row.vm_name}; nothing bills for it now. ${ref} and its snapshots are untouched.`
      : `${ref}'s standby VM ${row.vm_name} was already gone at GCP; the standby is off. ${ref} and its snapshots are untouched.`,
  };
};

/** Deletes the VM of a standby whose making failed for good, and records why. */
async function releaseFailedStandby(
  services: WorkerServices,
  compute: GcpCompute,
  instanceId: number,
  vmName: string,
  error: GpuopsError,
): Promise<string> {
  try {
    await compute.deleteVm(vmName);
  } catch (err) {
    // Left `creating`: once this operation has ended, the next standby pass deletes the VM.
    services.log.warn(
      { err, vm: vmName },
      'could not delete a failed standby VM; the next standby pass will',
    );
    const released = `Deleting its VM ${vmName} failed too; gpuops tries again on its next standby pass, or say "turn off standby for ${instanceRef(instanceId)}".`;
    await updateStandby(services.db, instanceId, {
      error: JSON.stringify({ code: error.code, message: `${error.message} ${released}` }),
    });
    return released;
  }
  const released = 'No standby VM was left behind, so nothing bills for it.';
  await updateStandby(services.db, instanceId, {
    state: 'failed',
    nat_ip: null,
    error: JSON.stringify({ code: error.code, message: `${error.message} ${released}` }),
  });
  return released;
}
