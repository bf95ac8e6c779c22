import { getInstance, updateInstance } from '../../../db/repositories/instances.ts';
import { addInstanceNotice } from '../../../db/repositories/notices.ts';
import { findInFlightOperation, getOperation } from '../../../db/repositories/operations.ts';
import { latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import { getStandby, listStandbys, updateStandby } from '../../../db/repositories/standbys.ts';
import type { StandbyRow } from '../../../db/schema.ts';
import { standbyLabels } from '../../cloud/gcp/standby-vm.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { asGpuopsError, ErrorCode } from '../../errors.ts';
import { standbyServicesOf } from '../operations/standby-services.ts';
import { startStoppedVm, syncStandby } from '../operations/standby-sync.ts';
import type { QueueBackend } from '../queue/backend.ts';
import type { WorkerServices } from '../queue/job-context.ts';
import { STANDBY_SYNC_QUEUE } from '../queue/queue-names.ts';
import { startScheduledPass } from './scheduled-pass.ts';

/**
 * The scheduled standby pass: brings every standby up to its instance's newest snapshot
 * (src/jobs/operations/standby-sync.ts), starts a standby VM an instance runs on that GCP stopped,
 * settles standbys whose operation died, and deletes this deployment's VMs no standby claims.
 */

/** What one scheduled pass did. */
export interface StandbySyncReport {
  synced: string[];
  current: string[];
  failed: Array<{ instance: string; code: string; message: string }>;
  /** Standbys whose operation ended without finishing them, set straight against GCP. */
  settled: string[];
  /** VMs of this deployment that no standby claims (their record lost or ended), deleted. */
  orphansDeleted: string[];
  /** Standbys an instance runs on, started again after GCP stopped them (spot preemption). */
  restarted: string[];
}

/**
 * One scheduled pass: settles standbys left `creating` or `deleting` by an operation that ended
 * (the VM released, or the standby marked ready), then syncs every standby that is ready or stopped.
 * Each is independent: one failing does not stop the others.
 */
export async function syncStandbys(services: WorkerServices): Promise<StandbySyncReport> {
  const report: StandbySyncReport = {
    synced: [],
    current: [],
    failed: [],
    settled: [],
    orphansDeleted: [],
    restarted: [],
  };
  if (!services.standby) return report;
  for (const row of await listStandbys(services.db, ['serving'])) {
    if (await findInFlightOperation(services.db, row.instance_id)) continue;
    try {
      if (await keepServingStandbyUp(services, row)) report.restarted.push(instanceRef(row.instance_id));
    } catch (err) {
      const error = asGpuopsError(err);
      report.failed.push({
        instance: instanceRef(row.instance_id),
        code: error.code,
        message: error.message,
      });
    }
  }
  try {
    report.orphansDeleted.push(...(await deleteOrphanVms(services)));
  } catch (err) {
    const error = asGpuopsError(err);
    report.failed.push({ instance: 'orphaned VMs', code: error.code, message: error.message });
  }
  for (const row of await listStandbys(services.db, ['creating', 'deleting'])) {
    if (await findInFlightOperation(services.db, row.instance_id)) continue;
    try {
      if (await settleOrphanedStandby(services, row)) report.settled.push(instanceRef(row.instance_id));
    } catch (err) {
      const error = asGpuopsError(err);
      report.failed.push({
        instance: instanceRef(row.instance_id),
        code: error.code,
        message: error.message,
      });
    }
  }
  for (const row of await listStandbys(services.db, ['ready', 'stopped'])) {
    const ref = instanceRef(row.instance_id);
    try {
      const outcome = await syncStandby(services, row.instance_id);
      report[outcome.outcome === 'synced' ? 'synced' : 'current'].push(ref);
    } catch (err) {
      const error = asGpuopsError(err);
      if (error.code === ErrorCode.OperationInFlight) continue;
      services.log.warn(
        { instance: ref, code: error.code, err },
        'standby sync failed; the next pass retries',
      );
      report.failed.push({ instance: ref, code: error.code, message: error.message });
    }
  }
  return report;
}

export interface StandbySyncHandle {
  close(): Promise<void>;
}

/** The scheduled sync on a BullMQ job scheduler: one pass every standbySyncIntervalMs, by any one worker. */
export async function startStandbySync(
  backend: QueueBackend,
  services: WorkerServices,
): Promise<StandbySyncHandle | undefined> {
  const interval = services.config.standbySyncIntervalMs;
  if (!services.standby || interval <= 0) return undefined;
  return startScheduledPass(backend, {
    queue: STANDBY_SYNC_QUEUE,
    everyMs: interval,
    deploymentId: services.deploymentId,
    log: services.log,
    what: 'standby sync pass',
    run: () => syncStandbys(services),
  });
}

/**
 * A standby left `creating` or `deleting` by an operation that ended without finishing it: a
 * failed enable's VM is deleted, a failed disable is finished. Returns true when it changed it.
 */
async function settleOrphanedStandby(services: WorkerServices, row: StandbyRow): Promise<boolean> {
  const compute = await standbyServicesOf(services).compute(row.zone);
  const operation = row.operation_id ? await getOperation(services.db, row.operation_id) : undefined;
  const why = operation?.error?.message ?? 'its operation ended without finishing it';
  await compute.deleteVm(row.vm_name);
  const state = row.state === 'deleting' ? 'off' : 'failed';
  const settled = await updateStandby(
    services.db,
    row.instance_id,
    {
      state,
      nat_ip: null,
      ...(state === 'failed' && {
        error: JSON.stringify({ code: ErrorCode.Abandoned, message: `${why} (its VM was deleted)` }),
      }),
    },
    [row.state],
  );
  return settled !== undefined;
}

/**
 * Deletes this deployment's standby VMs in the configured zone that no standby claims: the record
 * is off or failed (a release that failed), or gone, and no operation is under way on the instance.
 */
async function deleteOrphanVms(services: WorkerServices): Promise<string[]> {
  const standby = standbyServicesOf(services);
  const compute = await standby.compute();
  const labels = standbyLabels(services.deploymentId, 0);
  const vms = await compute.listVms({
    'managed-by': labels['managed-by']!,
    'gpuops-deployment': labels['gpuops-deployment']!,
  });
  const deleted: string[] = [];
  for (const vm of vms) {
    const instanceId = Number(/^i-(\d+)$/.exec(vm.labels['gpuops-instance'] ?? '')?.[1] ?? Number.NaN);
    if (!Number.isInteger(instanceId)) continue;
    const row = await getStandby(services.db, instanceId);
    const claimed =
      row !== undefined && row.vm_name === vm.name && row.state !== 'off' && row.state !== 'failed';
    if (claimed || (await findInFlightOperation(services.db, instanceId))) continue;
    await compute.deleteVm(vm.name);
    services.log.warn({ vm: vm.name, instanceId }, 'deleted a standby VM that no standby claims');
    if (row?.state === 'failed') await updateStandby(services.db, instanceId, { nat_ip: null }, ['failed']);
    deleted.push(vm.name);
  }
  return deleted;
}

/**
 * A standby an instance runs on (it failed over there) is the instance's only machine: a spot VM
 * GCP stopped is started again at once and the instance follows its new address; one GCP no longer
 * has leaves the instance with no machine, as a hibernated one (its latest snapshot is what is
 * left, and "resume" restores it onto a GPU). Returns true when it started the VM.
 */
async function keepServingStandbyUp(services: WorkerServices, row: StandbyRow): Promise<boolean> {
  const compute = await standbyServicesOf(services).compute(row.zone);
  const ref = instanceRef(row.instance_id);
  const vm = await compute.getVm(row.vm_name);
  const instance = await getInstance(services.db, row.instance_id);
  if (instance?.state !== 'on_standby') return false;
  if (!vm) {
    await updateStandby(
      services.db,
      row.instance_id,
      {
        state: 'failed',
        nat_ip: null,
        error: JSON.stringify({ code: ErrorCode.HostFailed, message: 'VM gone at GCP' }),
      },
      ['serving'],
    );
    await updateInstance(services.db, row.instance_id, {
      state: 'hibernated',
      ssh_host: null,
      ssh_port: null,
      running_since: null,
      hibernated_at: new Date(),
    });
    const latest = await latestCompleteSnapshot(services.db, row.instance_id, 0);
    await addInstanceNotice(
      services.db,
      instance,
      `${ref} ran on its CPU standby ${row.vm_name}, which is gone at GCP; ${ref} has no machine now. ${latest ? `Say "resume ${ref}" to restore snap-${latest.id} onto a GPU (work done on the VM since then is lost).` : 'It has no snapshot to restore.'}`,
    );
    return false;
  }
  if (vm.status === 'RUNNING') return false;
  const started = await startStoppedVm(compute, vm);
  await updateStandby(services.db, row.instance_id, { nat_ip: started.natIp ?? null }, ['serving']);
  const moved = await updateInstance(services.db, row.instance_id, { ssh_host: started.natIp ?? null });
  await addInstanceNotice(
    services.db,
    moved,
    `GCP stopped ${ref}'s spot standby VM ${row.vm_name}, which ${ref} runs on; it was started again${started.natIp ? ` at ${started.natIp}` : ''} with its disk as it was.`,
  );
  return true;
}
