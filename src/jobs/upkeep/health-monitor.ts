import { createHash } from 'node:crypto';
import { recordAudit } from '../../../db/repositories/audit.ts';
import {
  claimAutoFailover,
  claimFailoverReport,
  claimLostReport,
  getHealth,
  markLost,
  recordFailedCheck,
  recordHealthy,
} from '../../../db/repositories/instance-health.ts';
import { listInstances } from '../../../db/repositories/instances.ts';
import { addInstanceNotice } from '../../../db/repositories/notices.ts';
import {
  getOperation,
  IN_FLIGHT,
  instancesWithOperationsInFlight,
  instanceThread,
} from '../../../db/repositories/operations.ts';
import { latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import type { InstanceHealthRow, InstanceRow } from '../../../db/schema.ts';
import { sshExec } from '../../cloud/ssh/ssh-client.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { DEAD_STATUSES } from '../../domain/instance-states.ts';
import { formatElapsed, formatPrice } from '../../format/text.ts';
import { replacementSearch } from '../operations/failover-job.ts';
import type { QueueBackend } from '../queue/backend.ts';
import { AUTOMATIC_REQUESTER, type WorkerServices } from '../queue/job-context.ts';
import type { OperationQueue } from '../queue/operation-queue.ts';
import { HEALTH_QUEUE } from '../queue/queue-names.ts';
import { hibernateDue } from './hibernation.ts';
import { startScheduledPass } from './scheduled-pass.ts';

/**
 * The health monitor: beside the reconciler (which makes records follow the provider), it asks
 * whether each running instance can still be used: the provider's status, then an SSH heartbeat
 * that lists the GPUs. A machine the provider calls dead or gone, or one that misses a number of
 * heartbeats in a row, is lost. A lost instance with auto-failover is moved to a new machine by a
 * failover operation; any other is reported to its channel with the command that recovers it.
 * The channel is told once per loss, and how an automatic failover ended.
 */

export interface HealthReport {
  checked: number;
  healthy: string[];
  /** Instances judged lost in this pass (or still lost). */
  lost: Array<{ instance: string; why: string }>;
  /** Automatic failovers queued: instance and operation. */
  failovers: Array<{ instance: string; operation: string }>;
  /** Losses and failover endings told to channels. */
  reported: string[];
}

interface Verdict {
  kind: 'healthy' | 'lost' | 'unsure' | 'skip';
  why?: string;
}

export async function checkHealth(
  services: WorkerServices,
  operations: Pick<OperationQueue, 'enqueue'>,
  now = new Date(),
): Promise<HealthReport> {
  const { db } = services;
  const report: HealthReport = { checked: 0, healthy: [], lost: [], failovers: [], reported: [] };
  const rows = await listInstances(db, { states: ['running', 'failed'] });
  const busy = await instancesWithOperationsInFlight(db);
  for (const row of rows) {
    const ref = instanceRef(row.id);
    const health = await getHealth(db, row.id);
    if (health?.failover_operation_id && !health.failover_reported_at) {
      // An automatic failover of this loss is running or has ended: tell how it ended, once.
      const ended = await reportFailoverEnd(services, row, health, now);
      if (ended) report.reported.push(ref);
      continue;
    }
    if (busy.has(row.id)) continue;
    const verdict = await probe(services, row);
    if (verdict.kind === 'skip') continue;
    report.checked++;
    if (verdict.kind === 'healthy') {
      await recordHealthy(db, row.id, now);
      report.healthy.push(ref);
      continue;
    }
    let why = verdict.why!;
    if (verdict.kind === 'unsure') {
      const counted = await recordFailedCheck(db, row.id, why, now);
      if (counted.failures < services.config.health.sshFailures && counted.lost_since === null) continue;
      why = `its SSH heartbeat failed ${counted.failures} times in a row (${why})`;
    }
    const lost = await markLost(db, row.id, why, now);
    report.lost.push({ instance: ref, why });
    if (row.auto_failover && lost.failover_operation_id === null) {
      const started = await startAutoFailover(services, operations, row, lost, why);
      if (started) report.failovers.push({ instance: ref, operation: started });
      continue;
    }
    if (await claimLostReport(db, row.id, now)) {
      await tellLoss(services, row, why);
      report.reported.push(ref);
    }
  }
  return report;
}

/** The provider's word first; a machine it calls running must also answer over SSH with its GPUs. */
async function probe(services: WorkerServices, row: InstanceRow): Promise<Verdict> {
  if (!row.provider_instance_id) return { kind: 'skip' };
  const live = await services.provider.getInstance(row.provider_instance_id);
  if (!live) return { kind: 'lost', why: 'the provider no longer lists its machine' };
  if (DEAD_STATUSES.has(live.status)) {
    return {
      kind: 'lost',
      why: `the provider says its machine is ${live.status}${live.statusMessage ? ` (${live.statusMessage})` : ''}`,
    };
  }
  // Starting, stopping or paused: the reconciler's business, not a loss.
  if (live.status !== 'running' || row.state !== 'running') return { kind: 'skip' };
  const host = live.sshHost ?? row.ssh_host;
  const port = live.sshPort ?? row.ssh_port;
  if (!host || !port) return { kind: 'unsure', why: 'it publishes no SSH port' };
  try {
    const result = await sshExec(
      { host, port, privateKey: services.sshKey.privateKey },
      'nvidia-smi -L',
      services.config.health.sshTimeoutMs,
    );
    if (result.code !== 0 || !/\bGPU \d+:/.test(result.stdout)) {
      return { kind: 'unsure', why: `nvidia-smi lists no GPU (exit ${result.code})` };
    }
    return { kind: 'healthy' };
  } catch (err) {
    return { kind: 'unsure', why: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The failover operation of one loss has an id derived from the instance and the loss, and is
 * written down before it is queued, so a monitor that dies in between queues the same one again.
 */
function autoFailoverId(instanceId: number, lostSince: Date): string {
  const digest = createHash('sha256').update(`${instanceId}:${lostSince.toISOString()}`).digest('hex');
  return `op-af${digest.slice(0, 12)}`;
}

async function startAutoFailover(
  services: WorkerServices,
  operations: Pick<OperationQueue, 'enqueue'>,
  row: InstanceRow,
  health: InstanceHealthRow,
  why: string,
): Promise<string | undefined> {
  const { db, log } = services;
  const ref = instanceRef(row.id);
  const snapshot = await latestCompleteSnapshot(db, row.id, -1);
  if (!snapshot) {
    if (await claimLostReport(db, row.id, new Date())) {
      await notify(
        services,
        row,
        `${ref} is lost: ${why}. It has auto-failover, but no snapshot to move, so nothing was started. Say "destroy ${ref}" to stop its disk billing and "deploy a ${row.gpu_name}" for a fresh machine; "snapshot ${ref} every hour" keeps the next one safe.`,
      );
    }
    return undefined;
  }
  const operationId = await claimAutoFailover(db, row.id, autoFailoverId(row.id, health.lost_since!));
  if (await getOperation(db, operationId)) return undefined;
  const replyTo = await instanceThread(db, row);
  try {
    await operations.enqueue({
      kind: 'failover',
      operationId,
      args: { instance: ref, reason: 'auto' },
      context: {
        user: AUTOMATIC_REQUESTER,
        userName: 'gpuops health monitor',
        channel: row.channel,
        replyTo,
      },
      instanceId: row.id,
    });
  } catch (err) {
    // Another operation got there first (one per instance), or the queue is down: next pass.
    log.warn({ err, instance: ref }, 'could not queue an automatic failover');
    return undefined;
  }
  await recordAudit(db, {
    actor: 'gpuops',
    action: 'auto-failover',
    target: ref,
    channel: row.channel,
    outcome: 'requested',
    price_per_hour: row.price_per_hour,
    details: JSON.stringify({ operation: operationId, why, snapshot: `snap-${snapshot.id}` }),
  });
  await notify(
    services,
    row,
    `${ref} is lost: ${why}. Auto-failover is moving it to a new machine with snap-${snapshot.id} (taken ${formatElapsed(Date.now() - snapshot.created_at.getTime())} ago); operation ${operationId}. I'll say here how it ends.`,
  );
  return operationId;
}

async function reportFailoverEnd(
  services: WorkerServices,
  row: InstanceRow,
  health: InstanceHealthRow,
  now: Date,
): Promise<boolean> {
  const operationId = health.failover_operation_id!;
  const operation = await getOperation(services.db, operationId);
  if (operation && IN_FLIGHT.includes(operation.state)) return false;
  const succeeded = operation?.state === 'succeeded';
  if (!(await claimFailoverReport(services.db, row.id, operationId, { succeeded, at: now }))) return false;
  const ref = instanceRef(row.id);
  const result = operation?.result as { summary?: string } | null | undefined;
  const failover = await services.db
    .selectFrom('failovers')
    .selectAll()
    .where('operation_id', '=', operationId)
    .executeTakeFirst();
  const cost =
    failover && failover.new_price_per_hour !== null
      ? ` It now costs ${formatPrice(failover.new_price_per_hour)} (was ${formatPrice(failover.old_price_per_hour)}).`
      : '';
  await recordAudit(services.db, {
    actor: AUTOMATIC_REQUESTER,
    action: 'auto-failover',
    target: ref,
    channel: row.channel,
    outcome: succeeded ? 'ok' : 'error',
    price_per_hour: failover?.new_price_per_hour ?? row.price_per_hour,
    details: JSON.stringify({
      operation: operationId,
      was_per_hour: failover?.old_price_per_hour ?? null,
      now_per_hour: failover?.new_price_per_hour ?? null,
      recovery_ms:
        failover?.recovery_ms === null || failover === undefined ? null : Number(failover.recovery_ms),
      data_age_ms:
        failover?.data_age_ms === null || failover === undefined ? null : Number(failover.data_age_ms),
      ...(operation?.error && { error: operation.error }),
    }),
  });
  await notify(
    services,
    row,
    succeeded
      ? `Auto-failover of ${ref} finished: ${result?.summary ?? 'moved to a new machine'}.${cost}`
      : `Auto-failover of ${ref} did not finish (${operation?.error?.message ?? 'its operation was lost'}). ${ref} is still lost; say "failover ${ref}" to try again, or "failover ${ref} under $<price>" to allow a dearer replacement.`,
  );
  return true;
}

async function tellLoss(services: WorkerServices, row: InstanceRow, why: string): Promise<void> {
  const ref = instanceRef(row.id);
  const snapshot = await latestCompleteSnapshot(services.db, row.id, -1);
  const recover = snapshot
    ? `Say "failover ${ref}" to move it to a new machine with snap-${snapshot.id} (taken ${formatElapsed(Date.now() - snapshot.created_at.getTime())} ago), or "destroy ${ref}" to stop paying for it.`
    : `It has no snapshot, so its workspace cannot be moved; say "destroy ${ref}" to stop paying for it and "deploy a ${row.gpu_name}" for a fresh machine.`;
  // Each button runs its tool as whoever clicks, confirmed first: both cost or destroy.
  await addInstanceNotice(
    services.db,
    row,
    `${ref} (${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}) is lost: ${why}. ${recover} "enable auto-failover for ${ref}" makes gpuops do it by itself next time.`,
    [
      ...(snapshot ? [{ label: `Fail over ${ref}`, tool: 'failover', args: { instance: ref } }] : []),
      { label: `Destroy ${ref}`, tool: 'destroy', args: { instance: ref } },
    ],
  );
}

async function notify(services: WorkerServices, row: InstanceRow, text: string): Promise<void> {
  await addInstanceNotice(services.db, row, text);
}

/**
 * The health monitor on a BullMQ job scheduler: one pass every `health.intervalMs`, by any one
 * worker; each pass also hibernates paused instances past their hibernation time.
 */
export interface HealthMonitorHandle {
  close(): Promise<void>;
}

export async function startHealthMonitor(
  backend: QueueBackend,
  services: WorkerServices,
  operations: OperationQueue,
): Promise<HealthMonitorHandle | undefined> {
  const interval = services.config.health.intervalMs;
  if (interval <= 0) return undefined;
  return startScheduledPass(backend, {
    queue: HEALTH_QUEUE,
    everyMs: interval,
    deploymentId: services.deploymentId,
    log: services.log,
    what: 'health monitor pass',
    async run() {
      const report = await checkHealth(services, operations);
      if (report.lost.length > 0 || report.failovers.length > 0) {
        services.log.warn({ ...report }, 'health monitor found lost instances');
      }
      // Paused instances past their hibernation time, and instances on their CPU standby that a
      // GPU could take again: the same pass looks after them.
      const hibernating = await hibernateDue(services, operations);
      const failingBack = await failBackDue(services, operations);
      return { ...report, hibernating, failingBack };
    },
  });
}

/**
 * Instances running on their CPU standby move back to a GPU once an offer fits their ceiling: a
 * failback operation, at most one started per instance per hour (its id is the instance and the hour).
 */
export async function failBackDue(
  services: WorkerServices,
  operations: Pick<OperationQueue, 'enqueue'>,
  now = new Date(),
): Promise<string[]> {
  const { db, log } = services;
  const busy = await instancesWithOperationsInFlight(db);
  const started: string[] = [];
  for (const row of await listInstances(db, { states: ['on_standby'] })) {
    if (busy.has(row.id)) continue;
    const search = await replacementSearch(services, row, {});
    const offers = await services.provider.searchOffers({ ...search.query, limit: 1 });
    if (offers.length === 0) continue;
    const hour = Math.floor(now.getTime() / 3_600_000);
    const digest = createHash('sha256').update(`${row.id}:failback:${hour}`).digest('hex');
    const operationId = `op-fb${digest.slice(0, 12)}`;
    if (await getOperation(db, operationId)) continue;
    try {
      await operations.enqueue({
        kind: 'failover',
        operationId,
        args: { instance: instanceRef(row.id), reason: 'failback' },
        context: {
          user: AUTOMATIC_REQUESTER,
          userName: 'gpuops failback',
          channel: row.channel,
          replyTo: await instanceThread(db, row),
        },
        instanceId: row.id,
      });
    } catch (err) {
      log.warn({ err, instance: row.id }, 'could not queue a failback; the next pass tries again');
      continue;
    }
    await addInstanceNotice(
      db,
      row,
      `A ${search.wanted} is available again under ${formatPrice(search.ceiling)} per GPU: moving ${instanceRef(row.id)} back from its CPU standby, with the work done there (operation ${operationId}).`,
    );
    started.push(instanceRef(row.id));
  }
  return started;
}
