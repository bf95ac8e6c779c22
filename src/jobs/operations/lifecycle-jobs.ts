import { getInstance, updateInstance } from '../../../db/repositories/instances.ts';
import { latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import { getStandby, updateStandby } from '../../../db/repositories/standbys.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import { sshCommand } from '../../cloud/ssh/ssh-command.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import { ErrorCode, GpuopsError, isGpuopsError } from '../../errors.ts';
import { formatElapsed, formatPrice } from '../../format/text.ts';
import type { JobContext, JobHandler } from '../queue/job-context.ts';
import { checkGpusOverSsh } from './health-check.ts';
import { loadOperationInstance } from './operation-instance.ts';
import { standbyServicesOf } from './standby-services.ts';
import { waitForStatus, waitUntilGone } from './wait-for-status.ts';

/**
 * Pause, resume and destroy: each safe to run again after a crash at any point. A moving state
 * (stopping, starting, destroying) set here never outlives the operation: however it ends, the
 * record is settled against the provider (jobs/operations/settle.ts).
 */

async function loadTarget(ctx: JobContext): Promise<InstanceRow & { provider_instance_id: string }> {
  const row = await loadOperationInstance(ctx);
  if (!row.provider_instance_id) {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${instanceRef(row.id)} was never rented at the provider; there is nothing to do.`,
    );
  }
  return row as InstanceRow & { provider_instance_id: string };
}

function goneError(row: InstanceRow): GpuopsError {
  return new GpuopsError(
    ErrorCode.HostFailed,
    `${instanceRef(row.id)} no longer exists at the provider (its host may have been removed or reclaimed).`,
  );
}

export const runPause: JobHandler = async (ctx) => {
  const row = await loadTarget(ctx);
  await ctx.report(0, `${row.gpu_count}x ${row.gpu_name}`);
  await updateInstance(ctx.db, row.id, { state: 'stopping' });
  const live = await ctx.provider.getInstance(row.provider_instance_id);
  if (!live) throw goneError(row);
  if (live.status !== 'stopped') await ctx.provider.stopInstance(row.provider_instance_id);
  await ctx.report(1);
  const outcome = await waitForStatus(ctx, row.provider_instance_id, {
    want: 'stopped',
    stepIndex: 1,
    timeoutMs: ctx.config.deployTimeoutMs,
  });
  if (outcome.kind === 'gone') throw goneError(row);
  if (outcome.kind === 'dead') {
    await updateInstance(ctx.db, row.id, { state: 'failed', provider_status: outcome.instance.status });
    throw new GpuopsError(
      ErrorCode.HostFailed,
      `${instanceRef(row.id)}'s host failed while stopping (${outcome.instance.status}).`,
    );
  }
  await updateInstance(ctx.db, row.id, {
    state: 'stopped',
    provider_status: 'stopped',
    running_since: null,
    stopped_at: new Date(),
  });
  return {
    instance: instanceRef(row.id),
    state: 'stopped',
    summary: `${instanceRef(row.id)} paused; GPUs no longer billed (storage still is). Say "resume ${instanceRef(row.id)}" to start it again.`,
  };
};

export const runResume: JobHandler = async (ctx) => {
  const row = await loadTarget(ctx);
  await ctx.report(0, `${row.gpu_count}x ${row.gpu_name}`);
  const live = await ctx.provider.getInstance(row.provider_instance_id);
  if (!live) throw goneError(row);
  if (live.status !== 'running') {
    try {
      await ctx.provider.startInstance(row.provider_instance_id);
    } catch (err) {
      if (isGpuopsError(err) && err.code === ErrorCode.ResumeUnavailable) {
        throw new GpuopsError(
          ErrorCode.ResumeUnavailable,
          `${instanceRef(row.id)} cannot resume: its machine's GPUs were rented by someone else while it was stopped. ${await moveHint(ctx, row)}`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  await updateInstance(ctx.db, row.id, { state: 'starting' });
  await ctx.report(1);
  const outcome = await waitForStatus(ctx, row.provider_instance_id, {
    want: 'running',
    stepIndex: 1,
    timeoutMs: ctx.config.deployTimeoutMs,
    needSsh: true,
  });
  if (outcome.kind === 'gone') throw goneError(row);
  if (outcome.kind === 'dead') {
    await updateInstance(ctx.db, row.id, { state: 'failed', provider_status: outcome.instance.status });
    throw new GpuopsError(
      ErrorCode.HostFailed,
      `${instanceRef(row.id)}'s host failed while resuming (${outcome.instance.status}). Say "destroy ${instanceRef(row.id)}" and deploy a new one.`,
    );
  }
  await ctx.report(2);
  await checkGpusOverSsh(ctx, outcome.instance);
  const updated = await updateInstance(ctx.db, row.id, {
    state: 'running',
    provider_status: 'running',
    ssh_host: outcome.instance.sshHost,
    ssh_port: outcome.instance.sshPort,
    running_since: new Date(),
    stopped_at: null,
  });
  const ssh =
    updated.ssh_host && updated.ssh_port ? sshCommand(updated.ssh_host, updated.ssh_port) : undefined;
  const result: OperationResult = {
    instance: instanceRef(row.id),
    state: 'running',
    gpu: updated.gpu_name,
    gpuCount: updated.gpu_count,
    pricePerHour: updated.price_per_hour,
    summary: `${instanceRef(row.id)} running again · ${updated.gpu_count}x ${updated.gpu_name} · ${formatPrice(updated.price_per_hour)}${ssh ? ` · ${ssh}` : ''}`,
  };
  if (ssh) result.ssh = ssh;
  return result;
};

export const runDestroy: JobHandler = async (ctx) => {
  const hibernated = await destroyHibernated(ctx);
  if (hibernated) return hibernated;
  const row = await loadTarget(ctx);
  await ctx.report(0, `${row.gpu_count}x ${row.gpu_name}`);
  await updateInstance(ctx.db, row.id, { state: 'destroying' });
  const live = await ctx.provider.getInstance(row.provider_instance_id);
  if (live) await ctx.provider.destroyInstance(row.provider_instance_id);
  await ctx.report(1);
  await waitUntilGone(ctx, row.provider_instance_id);
  await updateInstance(ctx.db, row.id, {
    state: 'destroyed',
    provider_status: 'destroyed',
    destroyed_at: new Date(),
    running_since: null,
  });
  return {
    instance: instanceRef(row.id),
    state: 'destroyed',
    summary: `${instanceRef(row.id)} destroyed; billing stopped.`,
  };
};

/**
 * An instance without a GPU machine: a hibernated one only has its record closed (its snapshots
 * stay); one running on its CPU standby has that VM deleted too, as destroying deletes a disk.
 */
async function destroyHibernated(ctx: JobContext): Promise<OperationResult | undefined> {
  const id = ctx.operation.instance_id;
  const row = id === null ? undefined : await getInstance(ctx.db, id);
  if (row?.state !== 'hibernated' && row?.state !== 'on_standby') return undefined;
  ctx.setInstance(row.id);
  let what = 'it had no machine (hibernated)';
  if (row.state === 'on_standby') {
    await ctx.report(0, 'deleting the CPU standby it runs on');
    const standby = await getStandby(ctx.db, row.id);
    if (standby && standby.state !== 'off') {
      const compute = await standbyServicesOf(ctx).compute(standby.zone);
      await compute.deleteVm(standby.vm_name);
      await updateStandby(ctx.db, row.id, {
        state: 'off',
        nat_ip: null,
        sync_lease_until: null,
        sync_holder: null,
      });
    }
    what = `its CPU standby VM${standby ? ` ${standby.vm_name}` : ''} was deleted`;
  }
  await updateInstance(ctx.db, row.id, {
    state: 'destroyed',
    destroyed_at: new Date(),
    hibernated_at: null,
    running_since: null,
    ssh_host: null,
    ssh_port: null,
  });
  return {
    instance: instanceRef(row.id),
    state: 'destroyed',
    summary: `${instanceRef(row.id)} destroyed; ${what}, and its snapshots are kept until you delete them.`,
  };
}

/** What a paused instance whose machine cannot start can do instead: move, with its latest snapshot if it has one. */
async function moveHint(ctx: JobContext, row: InstanceRow): Promise<string> {
  const latest = await latestCompleteSnapshot(ctx.db, row.id, -1);
  if (latest) {
    return `Say "failover ${instanceRef(row.id)}" to move it to the best matching ${row.gpu_count}x ${row.gpu_name} offer with snap-${latest.id} (taken ${formatElapsed(Date.now() - latest.created_at.getTime())} ago; changes since then stay on the old disk), or wait and resume later.`;
  }
  return `It has no snapshot, so its workspace cannot be moved: wait and resume later, or say "deploy ${row.gpu_count}x ${row.gpu_name}" for a new machine and "destroy ${instanceRef(row.id)}" once you no longer need its disk.`;
}
