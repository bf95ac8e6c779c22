import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { addNotice } from '../../../db/repositories/notices.ts';
import { getSnapshot, latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import {
  claimStandbySync,
  getStandby,
  releaseStandbySync,
  renewStandbySync,
  updateStandby,
} from '../../../db/repositories/standbys.ts';
import type { SnapshotRow, StandbyRow } from '../../../db/schema.ts';
import type { GcpCompute, GcpVm } from '../../cloud/gcp/gcp-compute.ts';
import { STANDBY_SSH_USER } from '../../cloud/gcp/standby-vm.ts';
import { type Manifest, manifestKey } from '../../cloud/snapshot/manifest.ts';
import { type MirrorReport, mirrorSnapshot } from '../../cloud/snapshot/workspace-mirror.ts';
import type { SshTarget } from '../../cloud/ssh/ssh-client.ts';
import { SshSession } from '../../cloud/ssh/ssh-session.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../../errors.ts';
import {
  type SnapshotServices,
  type StandbyServices,
  snapshotServicesOf,
  type WorkerServices,
} from '../queue/job-context.ts';
import { LeaseRenewal } from '../queue/lease-renewal.ts';
import { withStorageLease } from '../queue/storage-lease.ts';
import { standbyServicesOf } from './standby-services.ts';

/**
 * Keeping a CPU standby in step with its instance: `syncStandby()` brings one standby to its
 * instance's latest complete snapshot (starting the VM if GCP stopped it), under the standby's sync
 * lease; `prepareStandby()` is what failover asks for, waiting while another sync holds the
 * standby. A copy is written into a fresh folder and swapped in only once verified, so the VM always
 * holds one whole, verified snapshot.
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
      vm = await startStoppedVm(compute, vm);
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
    const { report } = await copySnapshotToStandby(
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
    await renewal.stop();
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

/**
 * Puts the snapshot on the VM as a mirror (src/cloud/snapshot/workspace-mirror.ts): built beside
 * the workspace copy, verified, then swapped in. With the snapshot the VM holds now
 * (`heldSnapshotId`), only what differs crosses the network.
 */
export async function copySnapshotToStandby(
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

/** Starts a VM GCP stopped (spot preemption), waiting first for one still stopping. */
export async function startStoppedVm(compute: GcpCompute, vm: GcpVm): Promise<GcpVm> {
  if (vm.status !== 'STOPPING') return compute.startVm(vm.name);
  for (let i = 0; i < 60; i++) {
    await sleep(1_000);
    const now = await compute.getVm(vm.name);
    if (!now) break;
    if (now.status === 'RUNNING') return now;
    if (now.status === 'TERMINATED') return compute.startVm(vm.name);
  }
  return compute.startVm(vm.name);
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
