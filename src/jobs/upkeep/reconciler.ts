import { recordAudit } from '../../../db/repositories/audit.ts';
import {
  deleteUnrentedInstance,
  listInstances,
  settledColumns,
  settleIdleInstance,
  updateIdleInstance,
  updateInstance,
} from '../../../db/repositories/instances.ts';
import { addNotice } from '../../../db/repositories/notices.ts';
import {
  getOperation,
  IN_FLIGHT,
  instancesWithOperationsInFlight,
  listUnfinishedOperations,
} from '../../../db/repositories/operations.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import type { ProviderInstance } from '../../cloud/provider.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { InstanceState } from '../../domain/instance-states.ts';
import { LIVE_STATES } from '../../domain/instance-states.ts';
import { formatPrice } from '../../format/text.ts';
import { endIfAbandoned } from '../operations/operation-worker.ts';
import { operationOfLabel } from '../operations/rental-label.ts';
import { whereItStands } from '../operations/settle.ts';
import type { QueueBackend } from '../queue/backend.ts';
import type { WorkerServices } from '../queue/job-context.ts';
import { MAINTENANCE_QUEUE, OPERATIONS_QUEUE } from '../queue/queue-names.ts';
import { startScheduledPass } from './scheduled-pass.ts';

/**
 * The reconciler: compares gpuops's records with the provider, which is the truth about machines.
 * Records follow the provider; what a person should know is posted to the owning channel as a
 * notice; machines gpuops rented that nothing wants any more are destroyed after a grace period;
 * operations whose job was lost are ended. Machines without gpuops's label, and those of other
 * deployments, are never touched.
 */

/** What one pass found and did. */
export interface ReconcileReport {
  /** Live records compared with the provider. */
  checked: number;
  /** Records moved to the provider's truth. */
  repaired: Array<{ instance: string; from: InstanceState; to: InstanceState; provider: string }>;
  /** Records of rentals that never happened, removed. */
  removed: string[];
  /** Operations ended because their job was lost. */
  abandoned: string[];
  /** Provider ids of gpuops's rentals that nothing wanted, destroyed. */
  orphansDestroyed: string[];
  /** Provider ids of such rentals still inside their grace period. */
  orphansWaiting: string[];
  /** Provider ids labelled by a gpuops whose operations this database does not know: left alone. */
  foreign: string[];
}

/** Where the reconciler reads what BullMQ knows of an operation's job. */
export interface JobStates {
  stateOf(operationId: string): Promise<{ state: string; failedReason?: string }>;
}

export interface ReconcileOptions {
  now?: Date;
  /** Operations younger than this are left alone (their job may not be on the queue yet). Default 30 s. */
  operationGraceMs?: number;
}

export async function reconcile(
  services: WorkerServices,
  jobs: JobStates,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const { db, provider, config, log } = services;
  const now = options.now ?? new Date();
  const report: ReconcileReport = {
    checked: 0,
    repaired: [],
    removed: [],
    abandoned: [],
    orphansDestroyed: [],
    orphansWaiting: [],
    foreign: [],
  };

  const unfinished = await listUnfinishedOperations(
    db,
    new Date(now.getTime() - (options.operationGraceMs ?? 30_000)),
  );
  for (const operation of unfinished) {
    const { state, failedReason } = await jobs.stateOf(operation.id);
    if (await endIfAbandoned(services, operation, state, failedReason)) report.abandoned.push(operation.id);
  }

  const listedAt = new Date();
  const machines = await provider.listInstances();
  const byId = new Map(machines.map((m) => [m.id, m]));
  const busy = await instancesWithOperationsInFlight(db);
  const rows = await listInstances(db, { states: LIVE_STATES });
  const claimed = new Map<string, InstanceRow>();
  for (const row of rows) {
    if (busy.has(row.id)) {
      if (row.provider_instance_id) claimed.set(row.provider_instance_id, row);
      continue;
    }
    report.checked++;
    const settled = await settleRecord(services, row, { byId, machines, since: listedAt }, report);
    if (settled?.provider_instance_id && settled.state !== 'destroyed')
      claimed.set(settled.provider_instance_id, settled);
  }

  for (const machine of machines) {
    const operationId = operationOfLabel(machine.label);
    if (!operationId) continue;
    const operation = await getOperation(db, operationId);
    if (!operation) {
      report.foreign.push(machine.id);
      continue;
    }
    if (IN_FLIGHT.includes(operation.state)) continue;
    const claim = claimed.get(machine.id);
    // A failed deploy's machine is unwanted even when its record still shows it (its release failed).
    if (claim && operation.state === 'succeeded') continue;
    if (claim && claim.operation_id !== operation.id) continue;
    const since = (operation.finished_at ?? operation.created_at).getTime();
    if (now.getTime() - since < config.orphanGraceMs) {
      report.orphansWaiting.push(machine.id);
      continue;
    }
    await destroyOrphan(services, machine, operation.id, operation.channel, operation.reply_to, claim);
    report.orphansDestroyed.push(machine.id);
  }

  const changed =
    report.repaired.length + report.removed.length + report.abandoned.length + report.orphansDestroyed.length;
  if (changed > 0) log.info({ ...report, checked: report.checked }, 'reconciler repaired records');
  return report;
}

/** Brings one record no operation is moving to the provider's truth; returns it as it now is. */
async function settleRecord(
  services: WorkerServices,
  row: InstanceRow,
  heard: { byId: Map<string, ProviderInstance>; machines: ProviderInstance[]; since: Date },
  report: ReconcileReport,
): Promise<InstanceRow | undefined> {
  const { byId, machines, since } = heard;
  const { db } = services;
  let current = row;
  if (!current.provider_instance_id) {
    // Its deploy ended without hearing of a rental; the label says whether one happened after all.
    const found = machines.find((m) => m.label === current.label);
    if (!found) {
      if (await deleteUnrentedInstance(db, current.id)) report.removed.push(instanceRef(current.id));
      return undefined;
    }
    const adopted = await updateIdleInstance(db, current.id, { provider_instance_id: found.id });
    if (!adopted) return undefined;
    current = adopted;
  }
  // A machine missing from the list is looked up once more by itself before its record says it
  // is gone: a list can lag a create, and "destroyed" is the one state a record never leaves.
  const machine =
    byId.get(current.provider_instance_id!) ??
    (await services.provider.getInstance(current.provider_instance_id!));
  const settled = await settleIdleInstance(
    db,
    current,
    { machine, since },
    { scope: 'all', heardFrom: 'reconciler' },
  );
  // A record an operation took meanwhile is still that operation's claim on its machine.
  if (!settled.moved) return settled.row;
  const { row: updated, moved } = settled;
  const ref = instanceRef(current.id);
  report.repaired.push({ instance: ref, from: moved.from, to: moved.to, provider: moved.provider });
  await addNotice(db, {
    channel: current.channel,
    reply_to: await replyToOf(services, current.operation_id),
    instance_id: current.id,
    text: `${ref} was ${moved.from} in gpuops's records, but the provider says ${moved.provider === 'gone' ? 'its machine is gone' : `its machine is ${moved.provider}`}; records now follow the provider. ${whereItStands(updated)}`,
  });
  return updated;
}

async function replyToOf(services: WorkerServices, operationId: string): Promise<string | null> {
  const operation = await getOperation(services.db, operationId);
  return operation ? JSON.stringify(operation.reply_to) : null;
}

async function destroyOrphan(
  services: WorkerServices,
  machine: ProviderInstance,
  operationId: string,
  channel: string,
  replyTo: unknown,
  claim: InstanceRow | undefined,
): Promise<void> {
  const { db, provider, log, config } = services;
  await provider.destroyInstance(machine.id);
  log.warn({ providerId: machine.id, op: operationId }, 'destroyed an orphaned rental');
  if (claim) await updateInstance(db, claim.id, settledColumns(claim, null));
  const what = `${machine.numGpus}x ${machine.gpuName} at ${formatPrice(machine.pricePerHour)}`;
  await recordAudit(db, {
    actor: 'gpuops',
    action: 'destroy-orphan',
    target: claim ? instanceRef(claim.id) : machine.id,
    channel,
    outcome: 'ok',
    price_per_hour: machine.pricePerHour,
    details: JSON.stringify({ provider_instance_id: machine.id, operation: operationId }),
  });
  await addNotice(db, {
    channel,
    reply_to: JSON.stringify(replyTo),
    instance_id: claim?.id ?? null,
    text: `Destroyed machine ${machine.id} (${what}), rented for ${operationId}: that deploy did not succeed and nothing else claimed the machine for ${Math.round(config.orphanGraceMs / 60_000)} min, so it was billing unseen.`,
  });
}

/** What BullMQ knows of operations' jobs, read from the operations queue. */
export function jobStatesOn(backend: QueueBackend): JobStates & { close(): Promise<void> } {
  const operations = new backend.Queue(OPERATIONS_QUEUE, {
    connection: backend.connection,
    prefix: backend.prefix,
  });
  return {
    async stateOf(id) {
      const job = await operations.getJob(id);
      if (!job) return { state: 'unknown' };
      return { state: await job.getState(), ...(job.failedReason && { failedReason: job.failedReason }) };
    },
    close: () => operations.close(),
  };
}

/** The reconciler on a BullMQ job scheduler: one pass every `reconcileIntervalMs`, by any one worker. */
export interface ReconcilerHandle {
  close(): Promise<void>;
}

export async function startReconciler(
  backend: QueueBackend,
  services: WorkerServices,
): Promise<ReconcilerHandle | undefined> {
  const interval = services.config.reconcileIntervalMs;
  if (interval <= 0) return undefined;
  const jobs = jobStatesOn(backend);
  const pass = await startScheduledPass(backend, {
    queue: MAINTENANCE_QUEUE,
    name: 'reconcile',
    everyMs: interval,
    deploymentId: services.deploymentId,
    log: services.log,
    what: 'reconciler pass',
    run: () => reconcile(services, jobs),
  });
  return {
    async close() {
      await pass.close();
      await jobs.close();
    },
  };
}
