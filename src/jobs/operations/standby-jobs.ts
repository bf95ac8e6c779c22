import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { getInstance, updateInstance } from '../../../db/repositories/instances.ts';
import { addInstanceNotice, addNotice } from '../../../db/repositories/notices.ts';
import { findInFlightOperation, getOperation } from '../../../db/repositories/operations.ts';
import { getSnapshot, latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import {
  beginStandby,
  claimStandbySync,
  getStandby,
  listStandbys,
  releaseStandbySync,
  renewStandbySync,
  updateStandby,
} from '../../../db/repositories/standbys.ts';
import type { SnapshotRow, StandbyRow } from '../../../db/schema.ts';
import type { GcpCompute, GcpVm } from '../../cloud/gcp/gcp-compute.ts';
import { estimateVmHourlyCost } from '../../cloud/gcp/machine-cost.ts';
import {
  gcpNotConfigured,
  STANDBY_SSH_USER,
  standbyLabels,
  standbyVmSpec,
} from '../../cloud/gcp/standby-vm.ts';
import { type Manifest, manifestKey } from '../../cloud/snapshot/manifest.ts';
import { type MirrorReport, mirrorSnapshot } from '../../cloud/snapshot/workspace-mirror.ts';
import type { SshTarget } from '../../cloud/ssh/ssh-client.ts';
import { SshSession } from '../../cloud/ssh/ssh-session.ts';
import type { GcpConfig } from '../../config.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../../errors.ts';
import { formatBytes, formatDuration, formatPrice } from '../../format/text.ts';
import type { QueueBackend } from '../queue/backend.ts';
import {
  type JobHandler,
  operationArgs,
  type SnapshotServices,
  type StandbyServices,
  type WorkerServices,
} from '../queue/job-context.ts';
import { LeaseRenewal } from '../queue/lease-renewal.ts';
import { STANDBY_SYNC_QUEUE } from '../queue/queue-names.ts';
import { withStorageLease } from '../queue/storage-lease.ts';
import { startScheduledPass } from '../upkeep/scheduled-pass.ts';

/**
 * CPU standby: for an instance, a small Compute Engine VM holding a verified copy of the
 * instance's latest complete snapshot, to fail over onto when no GPU can be had. `standby` makes it
 * (or takes over the one it made before) and copies the snapshot on; `standby_off` deletes it; a
 * scheduled sync brings every standby up to its instance's newest snapshot, starts a spot VM GCP
 * stopped, and settles standbys whose operation died. A sync writes into a fresh folder and swaps
 * it in only once verified, so the VM always holds one whole, verified snapshot.
 *
 * For failover: `prepareStandby()` returns a standby that runs and holds the latest snapshot (its
 * SSH target and workspace folder), and `getStandby()` (db/repositories/standbys.ts) says whether an
 * instance has one.
 */

/** A sync's hold on a standby, renewed while it runs: a worker that dies mid-sync lets go after this. */
const SYNC_LEASE_MS = 2 * 60_000;
const SSH_TIMEOUT_MS = 30_000;

/** Where a standby is reached, for failover and failback. */
export interface StandbyTarget {
  instanceId: number;
  vmName: string;
  zone: string;
  machineType: string;
  spot: boolean;
  /** The VM's external address now. */
  natIp: string;
  /** Log in with gpuops's key as `gpuops`, on GPUOPS_GCP_SSH_PORT. */
  ssh: SshTarget;
  /** The workspace copy on the VM (relative: under the login's home). */
  workspaceDir: string;
  /** The snapshot it holds, verified, e.g. "snap-5", and when that snapshot was taken. */
  snapshot: string;
  snapshotId: number;
  snapshotTakenAt: Date;
  syncedAt: Date;
  /** Estimated USD per hour, when the machine type has a known rate. */
  hourlyCost: number | null;
}

export interface StandbySyncOutcome {
  /** `synced`: a newer snapshot was copied on; `current`: it held the latest already. */
  outcome: 'synced' | 'current';
  target: StandbyTarget;
  /** Present when a snapshot was copied. */
  report?: MirrorReport;
  /** True when the VM had been stopped (spot) and was started. */
  started: boolean;
}

export function standbyServicesOf(services: Pick<WorkerServices, 'standby'>): StandbyServices {
  if (!services.standby) throw gcpNotConfigured();
  return services.standby;
}

/**
 * The Compute clients of a worker process, one per zone, each made on first use (the client
 * library is loaded only then, so processes that never touch a standby do not pay its start-up).
 */
export function gcpStandbyServices(
  gcp: GcpConfig,
  logger: Logger,
): { services: StandbyServices; close(): Promise<void> } {
  const clients = new Map<string, Promise<GcpCompute>>();
  return {
    services: {
      gcp,
      compute(zone = gcp.zone) {
        let client = clients.get(zone);
        if (!client) {
          client = import('../../cloud/gcp/gcp-compute.ts').then(({ GcpCompute }) =>
            GcpCompute.open({
              project: gcp.project,
              zone,
              apiEndpoint: gcp.apiEndpoint,
              credentialsFile: gcp.credentialsFile,
              timeoutMs: gcp.timeoutMs,
              operationTimeoutMs: gcp.operationTimeoutMs,
              logger,
            }),
          );
          clients.set(zone, client);
        }
        return client;
      },
    },
    async close() {
      const made = await Promise.allSettled(clients.values());
      await Promise.allSettled(made.map((m) => (m.status === 'fulfilled' ? m.value.close() : undefined)));
    },
  };
}

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
    const { report } = await copySnapshot(ctx, standby, snapshots, vm, latest, (step, detail) =>
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
        ? `it follows ${ref}'s newest snapshot every ${formatDuration(every)}`
        : 'it is synced when a failover needs it (GPUOPS_STANDBY_SYNC_INTERVAL_MS is 0)';
    return {
      instance: ref,
      state: instance.state,
      ...(hourlyCost !== null && { pricePerHour: hourlyCost }),
      location: gcp.zone,
      summary: `${ref} has a CPU standby: VM ${spec.name} (${machineType}${spot ? ', spot' : ''} in ${gcp.zone}${cost}) holding snap-${latest.id}, verified: ${report.files} files, ${formatBytes(report.bytes)}. ${capitalise(schedule)}; "turn off standby for ${ref}" deletes it.`,
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

/**
 * Brings the instance's standby to its latest complete snapshot: starts the VM if GCP stopped it,
 * copies the snapshot on and verifies it when the VM holds an older one. Takes the standby's sync
 * lease; throws InvalidState when it has no standby, and OperationInFlight when another sync holds
 * it (see `prepareStandby`, which waits).
 */
export async function syncStandby(
  services: WorkerServices,
  instanceId: number,
  onStep?: (step: number, detail?: string) => Promise<void>,
  leaseMs = SYNC_LEASE_MS,
): Promise<StandbySyncOutcome> {
  const standby = standbyServicesOf(services);
  const snapshots = snapshotServicesOf(services);
  const ref = instanceRef(instanceId);
  const holder = `sync-${randomBytes(6).toString('hex')}`;
  const claimed = await claimStandbySync(services.db, instanceId, holder, leaseMs);
  if (!claimed) {
    const row = await getStandby(services.db, instanceId);
    if (!row || (row.state !== 'ready' && row.state !== 'stopped')) throw noStandby(ref, row);
    throw new GpuopsError(ErrorCode.OperationInFlight, `${ref}'s standby is being synced already.`, {
      retryable: true,
    });
  }
  const renewal = new LeaseRenewal(() => renewStandbySync(services.db, instanceId, holder, leaseMs), leaseMs);
  try {
    const compute = await standby.compute(claimed.zone);
    let vm = await compute.getVm(claimed.vm_name);
    if (!vm) return await standbyVanished(services, claimed);
    let started = false;
    if (vm.status !== 'RUNNING') {
      // The record says what GCP says (stopped, no address) until the VM runs again.
      await updateStandby(services.db, instanceId, { state: 'stopped', nat_ip: null }, ['ready', 'stopped']);
      await onStep?.(0, `${claimed.vm_name} is ${vm.status}; starting it`);
      vm = vm.status === 'STOPPING' ? await waitThenStart(compute, vm) : await compute.startVm(vm.name);
      started = true;
      await updateStandby(services.db, instanceId, { state: 'ready', nat_ip: vm.natIp ?? null }, [
        'ready',
        'stopped',
      ]);
    }
    const latest = await latestCompleteSnapshot(services.db, instanceId, 0);
    const current = claimed.synced_snapshot_id;
    if (!latest || (current !== null && latest.id <= current)) {
      const held = current === null ? undefined : await getSnapshot(services.db, current);
      if (!held) throw noSnapshot(ref);
      const row = (await getStandby(services.db, instanceId))!;
      return { outcome: 'current', started, target: targetOf(services, row, vm, held) };
    }
    const { report } = await copySnapshot(
      services,
      standby,
      snapshots,
      vm,
      latest,
      async (step, detail) => onStep?.(1 + step, detail),
      current,
    );
    // Another sync may have taken a lease this one lost (a stall past its length): what it
    // recorded stands, and this copy is not claimed as the standby's.
    if (!(await renewal.renew())) {
      throw new GpuopsError(
        ErrorCode.OperationInFlight,
        `${ref}'s standby sync lost its hold on the standby before it finished; the next sync does it again.`,
        { retryable: true },
      );
    }
    const row = await updateStandby(
      services.db,
      instanceId,
      {
        state: 'ready',
        nat_ip: vm.natIp ?? null,
        synced_snapshot_id: latest.id,
        synced_at: new Date(),
        error: null,
      },
      ['ready', 'stopped'],
    );
    if (!row) throw new GpuopsError(ErrorCode.Cancelled, `${ref}'s standby was turned off during the sync.`);
    services.log.info({ instanceId, snapshot: latest.id, vm: vm.name }, 'standby synced');
    return { outcome: 'synced', started, report, target: targetOf(services, row, vm, latest) };
  } catch (err) {
    const error = asGpuopsError(err);
    await updateStandby(
      services.db,
      instanceId,
      { error: JSON.stringify({ code: error.code, message: error.message }) },
      ['ready', 'stopped'],
    ).catch(() => undefined);
    throw err;
  } finally {
    renewal.stop();
    await releaseStandbySync(services.db, instanceId, holder).catch(() => undefined);
  }
}

/**
 * For failover onto the standby: the instance's standby VM running and holding its latest complete
 * snapshot, verified, with how to reach it. Waits (up to `waitMs`, default 10 min) while a scheduled
 * sync holds the standby. Throws InvalidState (with what to say) when the instance has no standby.
 */
export async function prepareStandby(
  services: WorkerServices,
  instanceId: number,
  options: {
    waitMs?: number;
    signal?: AbortSignal;
    onStep?: (step: number, detail?: string) => Promise<void>;
  } = {},
): Promise<StandbyTarget> {
  const deadline = Date.now() + (options.waitMs ?? 10 * 60_000);
  for (;;) {
    try {
      return (await syncStandby(services, instanceId, options.onStep)).target;
    } catch (err) {
      const held = err instanceof GpuopsError && err.code === ErrorCode.OperationInFlight;
      if (!held || Date.now() >= deadline || options.signal?.aborted) throw err;
    }
    await sleep(1_000, undefined, options.signal ? { signal: options.signal } : undefined).catch(
      () => undefined,
    );
  }
}

/** How to reach a ready standby as its record says, without asking GCP or syncing. */
export function standbyTarget(
  services: Pick<WorkerServices, 'standby' | 'sshKey'>,
  row: StandbyRow,
): SshTarget {
  const standby = standbyServicesOf(services);
  if (!row.nat_ip) throw noStandby(instanceRef(row.instance_id), row);
  return {
    host: row.nat_ip,
    port: standby.gcp.sshPort,
    username: STANDBY_SSH_USER,
    privateKey: services.sshKey.privateKey,
  };
}

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
 * Puts the snapshot on the VM as a mirror (src/cloud/snapshot/workspace-mirror.ts): built beside
 * the workspace copy, verified, then swapped in. With the snapshot the VM holds now, only what
 * differs crosses the network.
 */
async function copySnapshot(
  services: WorkerServices,
  standby: StandbyServices,
  snapshots: SnapshotServices,
  vm: GcpVm,
  snapshot: SnapshotRow,
  onStep: (step: number, detail?: string) => Promise<void>,
  heldSnapshotId?: number | null,
): Promise<{ report: MirrorReport }> {
  const ref = `snap-${snapshot.id}`;
  if (!vm.natIp) {
    throw new GpuopsError(
      ErrorCode.ProviderUnavailable,
      `VM ${vm.name} runs but has no external address yet.`,
      {
        retryable: true,
      },
    );
  }
  const store = await snapshots.store();
  return withStorageLease(
    services.db,
    {
      mode: 'shared',
      holder: `standby sync of ${instanceRef(snapshot.instance_id)}`,
      ...(services.shutdown && { signal: services.shutdown }),
    },
    async () => {
      const manifest = JSON.parse(await store.getText(manifestKey(ref))) as Manifest;
      // The manifest of what the VM holds may have been deleted since; then everything is copied.
      const previous =
        heldSnapshotId == null
          ? undefined
          : await store
              .getText(manifestKey(`snap-${heldSnapshotId}`))
              .then((text) => JSON.parse(text) as Manifest)
              .catch(() => undefined);
      const session = await SshSession.open(
        {
          host: vm.natIp!,
          port: standby.gcp.sshPort,
          username: STANDBY_SSH_USER,
          privateKey: services.sshKey.privateKey,
        },
        SSH_TIMEOUT_MS,
      );
      try {
        const report = await mirrorSnapshot({
          session,
          store,
          root: standby.gcp.workspaceDir,
          manifest,
          previous,
          onStep,
        });
        return { report };
      } catch (err) {
        if (err instanceof GpuopsError && err.code === ErrorCode.SnapshotMismatch) {
          throw new GpuopsError(err.code, `${ref} on standby VM ${vm.name}: ${err.message}`, {
            retryable: true,
            details: err.details,
          });
        }
        throw err;
      } finally {
        session.close();
      }
    },
  );
}

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

/** GCP no longer has the VM: the standby is marked failed and the channel told. */
async function standbyVanished(services: WorkerServices, row: StandbyRow): Promise<never> {
  const ref = instanceRef(row.instance_id);
  const message = `${ref}'s standby VM ${row.vm_name} is gone at GCP (deleted outside gpuops); say "enable standby for ${ref}" to make a new one.`;
  const updated = await updateStandby(
    services.db,
    row.instance_id,
    {
      state: 'failed',
      nat_ip: null,
      error: JSON.stringify({ code: ErrorCode.HostFailed, message }),
    },
    ['ready', 'stopped'],
  );
  if (updated) {
    await addNotice(services.db, {
      channel: row.channel,
      reply_to: null,
      instance_id: row.instance_id,
      text: message,
    });
  }
  throw new GpuopsError(ErrorCode.HostFailed, message);
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
  const started =
    vm.status === 'STOPPING' ? await waitThenStart(compute, vm) : await compute.startVm(vm.name);
  await updateStandby(services.db, row.instance_id, { nat_ip: started.natIp ?? null }, ['serving']);
  const moved = await updateInstance(services.db, row.instance_id, { ssh_host: started.natIp ?? null });
  await addInstanceNotice(
    services.db,
    moved,
    `GCP stopped ${ref}'s spot standby VM ${row.vm_name}, which ${ref} runs on; it was started again${started.natIp ? ` at ${started.natIp}` : ''} with its disk as it was.`,
  );
  return true;
}

async function waitThenStart(compute: GcpCompute, vm: GcpVm): Promise<GcpVm> {
  for (let i = 0; i < 60; i++) {
    await sleep(1_000);
    const now = await compute.getVm(vm.name);
    if (!now) break;
    if (now.status === 'RUNNING') return now;
    if (now.status === 'TERMINATED') return compute.startVm(vm.name);
  }
  return compute.startVm(vm.name);
}

function targetOf(
  services: WorkerServices,
  row: StandbyRow,
  vm: GcpVm,
  snapshot: SnapshotRow,
): StandbyTarget {
  const standby = standbyServicesOf(services);
  return {
    instanceId: row.instance_id,
    vmName: row.vm_name,
    zone: row.zone,
    machineType: row.machine_type,
    spot: row.spot,
    natIp: vm.natIp!,
    ssh: {
      host: vm.natIp!,
      port: standby.gcp.sshPort,
      username: STANDBY_SSH_USER,
      privateKey: services.sshKey.privateKey,
    },
    workspaceDir: standby.gcp.workspaceDir,
    snapshot: `snap-${snapshot.id}`,
    snapshotId: snapshot.id,
    snapshotTakenAt: snapshot.completed_at ?? snapshot.created_at,
    syncedAt: row.synced_at ?? new Date(),
    hourlyCost: row.hourly_cost,
  };
}

function snapshotServicesOf(services: WorkerServices): SnapshotServices {
  if (!services.snapshots) {
    throw new GpuopsError(ErrorCode.Internal, 'This worker has no snapshot storage configured.');
  }
  return services.snapshots;
}

function noStandby(ref: string, row: StandbyRow | undefined): GpuopsError {
  const state = row ? ` (it is ${row.state}${row.error ? `: ${row.error.message}` : ''})` : '';
  return new GpuopsError(
    ErrorCode.InvalidState,
    `${ref} has no standby ready${state}. Say "enable standby for ${ref}" to make one.`,
  );
}

function noSnapshot(ref: string): GpuopsError {
  return new GpuopsError(
    ErrorCode.InvalidState,
    `${ref} has no complete snapshot for its standby to hold; say "snapshot ${ref}" first.`,
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
