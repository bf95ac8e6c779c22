import {
  AUTO_PAUSE_ACTOR,
  listAutoPauses,
  recordAutoPause,
  recordAutoPauseEnded,
} from '../../../db/repositories/auto-pauses.ts';
import {
  claimPause,
  claimWarning,
  effectivePolicy,
  getChannelDefault,
  getInstancePolicy,
  getWatch,
  isSnoozed,
  listRequestedPauses,
  listWatchedInstances,
  NO_EPISODE,
  pruneWatch,
  saveWatch,
  settlePause,
  type WatchedInstance,
} from '../../../db/repositories/idle-policies.ts';
import { getInstance } from '../../../db/repositories/instances.ts';
import { addInstanceNotice } from '../../../db/repositories/notices.ts';
import {
  findInFlightOperation,
  getOperation,
  IN_FLIGHT,
  instanceThread,
} from '../../../db/repositories/operations.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import { diskCostPerHour } from '../../cloud/provider.ts';
import { readGpuUtilization } from '../../cloud/ssh/gpu-utilization.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { RequestContext } from '../../domain/request-context.ts';
import { ErrorCode, isGpuopsError } from '../../errors.ts';
import { formatDuration, formatPrice } from '../../format/text.ts';
import type { QueueBackend } from '../queue/backend.ts';
import type { WorkerServices } from '../queue/job-context.ts';
import type { OperationQueue } from '../queue/operation-queue.ts';
import { IDLE_CHECK_QUEUE } from '../queue/queue-names.ts';
import { autoPauseOperationId, nextIdleStep, type Sample } from './idle-episode.ts';
import { startScheduledPass } from './scheduled-pass.ts';

/**
 * The idle check: on a schedule, samples the GPU utilisation (nvidia-smi over SSH) of running
 * instances with an auto-pause policy, warns the owning channel when one has been idle for its
 * whole window, and pauses it through a normal pause operation when it is still idle after the
 * grace. The rule itself is in idle-episode.ts; this file does the I/O. It also records in the
 * audit log each automatic pause that stopped a machine, and its end with the money it saved.
 */

export interface IdleCheckServices extends WorkerServices {
  operations: Pick<OperationQueue, 'enqueue'>;
}

export interface IdleCheckOptions {
  now?: () => Date;
  /** Reads an instance's per-GPU utilisation; nvidia-smi over SSH unless a test says otherwise. */
  sample?: (instance: InstanceRow) => Promise<number[]>;
}

/** What one pass saw and did, by instance ("i-3"). */
export interface IdleCheckReport {
  sampled: string[];
  unreachable: string[];
  warned: string[];
  paused: string[];
  /** Warned instances whose GPUs got busy again. */
  calledOff: string[];
  /** Pauses whose outcome was recorded this pass. */
  settled: string[];
}

/** How many instances are sampled at once. */
const SAMPLE_CONCURRENCY = 8;
/** A pause named on a watch row with no operation behind it after this long was never queued. */
const LOST_PAUSE_MS = 60_000;

export async function runIdleCheck(
  services: IdleCheckServices,
  options: IdleCheckOptions = {},
): Promise<IdleCheckReport> {
  const now = options.now ?? (() => new Date());
  const report: IdleCheckReport = {
    sampled: [],
    unreachable: [],
    warned: [],
    paused: [],
    calledOff: [],
    settled: [],
  };
  await settleRequestedPauses(services, now(), report);
  await closeEndedPauses(services);
  const watched = await listWatchedInstances(services.db);
  const sample =
    options.sample ??
    ((instance: InstanceRow) =>
      readGpuUtilization(
        {
          host: instance.ssh_host ?? '',
          port: instance.ssh_port ?? 0,
          privateKey: services.sshKey.privateKey,
        },
        services.config.idle.sshTimeoutMs,
      ));
  const queue = [...watched];
  const workers = Array.from({ length: Math.min(SAMPLE_CONCURRENCY, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await checkInstance(services, next, sample, now, report);
      } catch (err) {
        services.log.warn({ err, instanceId: next.instance.id }, 'idle check of an instance failed');
      }
    }
  });
  await Promise.all(workers);
  await pruneWatch(services.db);
  if (report.warned.length + report.paused.length + report.calledOff.length + report.settled.length > 0) {
    services.log.info(report, 'idle check acted');
  }
  return report;
}

async function checkInstance(
  services: IdleCheckServices,
  { instance, policy }: WatchedInstance,
  sample: (instance: InstanceRow) => Promise<number[]>,
  now: () => Date,
  report: IdleCheckReport,
): Promise<void> {
  const { db, config, log } = services;
  const ref = instanceRef(instance.id);
  if (!instance.ssh_host || !instance.ssh_port) return;
  // An operation under way owns the instance; its episode waits (a long one breaks it by the gap).
  if (await findInFlightOperation(db, instance.id)) return;
  const watch = await getWatch(db, instance.id);
  if (watch?.pause_operation_id) return;
  if (isSnoozed(watch, now())) return;
  if (watch?.snoozed_at) {
    await saveWatch(db, instance.id, { snoozed_at: null, snoozed_until: null, snoozed_by: null });
  }

  let utilization: number[];
  try {
    utilization = await sample(instance);
  } catch (err) {
    // Unknown is not idle: nothing changes, and a long silence breaks the episode.
    report.unreachable.push(ref);
    log.debug({ err, instanceId: instance.id }, 'idle check could not read GPU utilisation');
    return;
  }
  const taken: Sample = { at: now(), utilization };
  report.sampled.push(ref);
  const step = nextIdleStep(
    {
      idleSince: watch?.idle_since ?? null,
      lastSampleAt: watch?.last_sample_at ?? null,
      warnedAt: watch?.warned_at ?? null,
      pauseDueAt: watch?.pause_due_at ?? null,
    },
    taken,
    policy,
    {
      graceMs: config.idle.graceMs,
      maxSampleGapMs: Math.max(3 * config.idle.checkIntervalMs, 60_000),
    },
    instance.running_since,
  );
  const sampled = { last_sample_at: taken.at, last_utilization: step.utilization };
  const under = `under ${policy.minUtilization}%`;
  switch (step.kind) {
    case 'busy': {
      await saveWatch(db, instance.id, { ...NO_EPISODE, ...sampled });
      if (step.wasWarned) {
        report.calledOff.push(ref);
        await notify(
          services,
          instance,
          `${ref}'s GPUs are in use again (${step.utilization}%), so it will not be paused.`,
        );
      }
      return;
    }
    case 'idle': {
      await saveWatch(db, instance.id, {
        ...(step.fresh && NO_EPISODE),
        idle_since: step.idleSince,
        ...sampled,
      });
      return;
    }
    case 'warn': {
      await saveWatch(db, instance.id, sampled);
      const claimed = await claimWarning(db, instance.id, step.idleSince, taken.at, step.pauseDueAt);
      if (!claimed) return;
      report.warned.push(ref);
      const when = config.idle.graceMs > 0 ? `in ${formatDuration(config.idle.graceMs)}` : 'now';
      await addInstanceNotice(
        services.db,
        instance,
        `${ref} (${instance.gpu_count}x ${instance.gpu_name}, ${formatPrice(instance.price_per_hour)}) has been idle (GPU ${under}) for ${formatDuration(taken.at.getTime() - step.idleSince.getTime())}. ` +
          `It will be paused ${when} unless someone says "keep ${ref} running" or GPU work starts.`,
        [{ label: `Keep ${ref} running`, tool: 'keep_running', args: { instance: ref } }],
      );
      return;
    }
    case 'pause': {
      await saveWatch(db, instance.id, sampled);
      await requestPause(services, instance, step.idleSince, taken.at, under, report);
      return;
    }
  }
}

async function requestPause(
  services: IdleCheckServices,
  instance: InstanceRow,
  idleSince: Date,
  at: Date,
  under: string,
  report: IdleCheckReport,
): Promise<void> {
  const { db, log } = services;
  const ref = instanceRef(instance.id);
  const operationId = autoPauseOperationId(instance.id, idleSince);
  if (!(await claimPause(db, instance.id, idleSince, operationId, at))) return;
  const replyTo = await instanceThread(db, instance);
  const context: RequestContext = { user: AUTO_PAUSE_ACTOR, channel: instance.channel, replyTo };
  try {
    await services.operations.enqueue({
      kind: 'pause',
      args: { instance: ref },
      context,
      instanceId: instance.id,
      operationId,
    });
  } catch (err) {
    if (isGpuopsError(err) && err.code === ErrorCode.OperationInFlight) {
      // Someone started an operation on it just now: theirs wins, and the episode starts over.
      await settlePause(db, instance.id, operationId);
      return;
    }
    // The operation is recorded as failed; the next pass says so in the channel.
    log.warn({ err, instanceId: instance.id, op: operationId }, 'could not queue an auto-pause');
    return;
  }
  report.paused.push(ref);
  log.info({ instanceId: instance.id, op: operationId }, 'auto-pause queued');
  await notify(
    services,
    instance,
    `Pausing ${ref}: its GPUs have been idle (${under}) since ${idleSince.toISOString().slice(11, 16)} UTC. ` +
      `That stops ${formatPrice(instance.price_per_hour)} of billing (storage is still billed); say "resume ${ref}" to start it again.`,
  );
}

/** Records how each requested pause ended: in the audit log when it stopped the machine, in the channel when it failed. */
async function settleRequestedPauses(
  services: IdleCheckServices,
  now: Date,
  report: IdleCheckReport,
): Promise<void> {
  const { db } = services;
  for (const watch of await listRequestedPauses(db)) {
    const operationId = watch.pause_operation_id!;
    const operation = await getOperation(db, operationId);
    const instance = await getInstance(db, watch.instance_id);
    if (!operation) {
      const requested = watch.pause_requested_at?.getTime() ?? 0;
      if (now.getTime() - requested > LOST_PAUSE_MS) await settlePause(db, watch.instance_id, operationId);
      continue;
    }
    if (IN_FLIGHT.includes(operation.state)) continue;
    if (operation.state === 'succeeded' && instance) {
      const policy = effectivePolicy(
        await getInstancePolicy(db, instance.id),
        await getChannelDefault(db, instance.channel),
      );
      // Recorded before the watch row lets go of the operation, so a crash between the two
      // leaves it to the next pass; the audit log takes each once.
      await recordAutoPause(db, {
        instance: instanceRef(instance.id),
        channel: instance.channel,
        pricePerHour: instance.price_per_hour,
        diskPerHour: await pausedDiskCost(services, instance),
        operationId,
        pausedAt: operation.finished_at ?? now,
        idleSince: watch.idle_since,
        idleMinutes: policy?.idleMinutes ?? null,
        minUtilization: policy?.minUtilization ?? null,
      });
      if (await settlePause(db, watch.instance_id, operationId))
        report.settled.push(instanceRef(instance.id));
      continue;
    }
    if (!(await settlePause(db, watch.instance_id, operationId))) continue;
    report.settled.push(instanceRef(watch.instance_id));
    if (instance) {
      await notify(
        services,
        instance,
        `Auto-pause of ${instanceRef(instance.id)} did not work: ${operation.error?.message ?? 'the pause failed'}. It is still watched and will be tried again after another idle window.`,
      );
    }
  }
}

/** What the paused machine's disk still costs per hour, as the provider prices it; null when it will not say. */
async function pausedDiskCost(services: IdleCheckServices, instance: InstanceRow): Promise<number | null> {
  if (!instance.provider_instance_id) return null;
  const live = await services.provider.getInstance(instance.provider_instance_id).catch((err: unknown) => {
    services.log.warn({ err, instanceId: instance.id }, "could not read the paused machine's disk price");
    return undefined;
  });
  return diskCostPerHour(instance.disk_gb, live?.storageCostPerGbMonth);
}

/** Writes the end, and the money saved, of every auto-pause whose instance has since moved on. */
async function closeEndedPauses(services: IdleCheckServices): Promise<void> {
  for (const pause of await listAutoPauses(services.db, { openOnly: true })) {
    if (pause.endedAt) await recordAutoPauseEnded(services.db, pause);
  }
}

/** A notice to the channel that owns the instance, in the thread it was deployed from. */
async function notify(services: IdleCheckServices, instance: InstanceRow, text: string): Promise<void> {
  await addInstanceNotice(services.db, instance, text);
}

/** The idle check on a BullMQ job scheduler: one pass every `idle.checkIntervalMs`, by any one worker. */
export interface IdleCheckHandle {
  close(): Promise<void>;
}

export async function startIdleCheck(
  backend: QueueBackend,
  services: IdleCheckServices,
): Promise<IdleCheckHandle | undefined> {
  const interval = services.config.idle.checkIntervalMs;
  if (interval <= 0) return undefined;
  return startScheduledPass(backend, {
    queue: IDLE_CHECK_QUEUE,
    everyMs: interval,
    deploymentId: services.deploymentId,
    log: services.log,
    what: 'idle check pass',
    run: () => runIdleCheck(services),
  });
}
