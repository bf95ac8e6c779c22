import type { Kysely, Updateable } from 'kysely';
import { instanceRef } from '../../src/domain/instance-ref.ts';
import type { OperationKind } from '../../src/domain/operations.ts';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import type {
  Database,
  InstanceRow,
  NewOperation,
  OperationRow,
  OperationState,
  OperationsTable,
} from '../schema.ts';

/**
 * Operations: one row per long-running request, keyed by the same id as its BullMQ job. JSON
 * columns are written as JSON text (`JSON.stringify`; Postgres stores it as jsonb) and read back
 * as parsed objects.
 */

export interface CreatedOperation {
  operation: OperationRow;
  /** False when an operation with this id already existed; it is returned unchanged. */
  created: boolean;
}

/** Operation states that are not over yet. */
export const IN_FLIGHT: readonly OperationState[] = ['queued', 'running'];

/**
 * Inserts the operation, or returns the existing one with the same id: safe to repeat. Refuses
 * (OperationInFlight) a second operation on an instance that has one queued or running: the
 * database enforces it, so two processes cannot both start one.
 */
export async function createOperation(db: Kysely<Database>, values: NewOperation): Promise<CreatedOperation> {
  let inserted: OperationRow | undefined;
  try {
    inserted = await db
      .insertInto('operations')
      .values(values)
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
  } catch (err) {
    if (isOneInFlightViolation(err) && values.instance_id != null) {
      const current = await findInFlightOperation(db, values.instance_id);
      throw new GpuopsError(
        ErrorCode.OperationInFlight,
        `${instanceRef(values.instance_id)} is busy: ${current ? `${describeInFlight(current)}` : 'another operation is under way'}. Try again when it has finished.`,
        { cause: err, details: { instanceId: values.instance_id, operation: current?.id } },
      );
    }
    throw err;
  }
  if (inserted !== undefined) return { operation: inserted, created: true };
  return { operation: await requireOperation(db, values.id), created: false };
}

function isOneInFlightViolation(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return (
    e?.code === '23505' &&
    (e.constraint === 'operations_one_in_flight_per_instance' ||
      (e.message ?? '').includes('operations_one_in_flight_per_instance'))
  );
}

const KIND_VERB: Record<OperationKind, string> = {
  deploy: 'being deployed',
  pause: 'being paused',
  resume: 'being resumed',
  destroy: 'being destroyed',
  snapshot: 'being snapshotted',
  restore: 'having a snapshot restored onto it',
  failover: 'being moved to a replacement machine',
  hibernate: 'being hibernated',
  standby: 'getting a CPU standby',
  standby_off: 'having its CPU standby deleted',
  run_job: 'running a job',
};

/** "being paused (op-1a2b3c4d5e, queued)": an in-flight operation as a person reads it. */
export function describeInFlight(op: OperationRow): string {
  return `it is ${KIND_VERB[op.kind] ?? `in a ${op.kind}`} (${op.id}, ${op.state === 'queued' ? 'queued' : op.step ? `step: ${op.step}` : 'running'})`;
}

/** The operation queued or running on an instance, if any (at most one, by the unique index). */
export async function findInFlightOperation(
  db: Kysely<Database>,
  instanceId: number,
): Promise<OperationRow | undefined> {
  return db
    .selectFrom('operations')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('state', 'in', IN_FLIGHT)
    .executeTakeFirst();
}

/**
 * Ends the instance's operations of the given kinds that no worker has started yet, as
 * cancelled; returns them. One that a worker took meanwhile is left alone (it is no longer queued).
 */
export async function cancelQueuedOperations(
  db: Kysely<Database>,
  instanceId: number,
  kinds: readonly OperationKind[],
  reason: string,
): Promise<OperationRow[]> {
  if (kinds.length === 0) return [];
  return db
    .updateTable('operations')
    .set({
      state: 'failed',
      finished_at: new Date(),
      error: JSON.stringify({ code: ErrorCode.Cancelled, message: reason }),
    })
    .where('instance_id', '=', instanceId)
    .where('state', '=', 'queued')
    .where('kind', 'in', kinds)
    .returningAll()
    .execute();
}

export async function getOperation(db: Kysely<Database>, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The operations of these ids that exist, in one read (the job watcher's poll of all it follows). */
export async function getOperations(db: Kysely<Database>, ids: readonly string[]): Promise<OperationRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('operations').selectAll().where('id', 'in', ids).execute();
}

export type OperationPatch = Omit<Updateable<OperationsTable>, 'id' | 'created_at'>;

/** Changes the given columns (JSON ones as JSON text). Throws when there is no such operation. */
export async function updateOperation(
  db: Kysely<Database>,
  id: string,
  patch: OperationPatch,
): Promise<OperationRow> {
  const row = await db
    .updateTable('operations')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ?? missing(id);
}

/**
 * Records that a worker started (or restarted) the operation: state running, the current step,
 * one more attempt, and `started_at` the first time only.
 */
export async function markOperationRunning(
  db: Kysely<Database>,
  id: string,
  step: string,
): Promise<OperationRow | undefined> {
  const row = await db
    .updateTable('operations')
    .set((eb) => ({
      state: 'running',
      step,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', eb.fn<Date>('now')),
    }))
    .where('id', '=', id)
    // An operation that ended meanwhile (cancelled, finalised by the reconciler) stays ended.
    .where('state', 'in', IN_FLIGHT)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) await requireOperation(db, id);
  return row;
}

export type OperationOutcome =
  | { state: 'succeeded'; result: Record<string, unknown> }
  | { state: 'failed'; error: { code: string; message: string } };

/**
 * Final state with its result or error, and `finished_at`, unless the operation has ended
 * already: the first ending wins. Returns the row as it now is. Throws when there is no such operation.
 */
export async function finishOperation(
  db: Kysely<Database>,
  id: string,
  outcome: OperationOutcome,
): Promise<OperationRow> {
  return (await finishOperationIfOpen(db, id, outcome)) ?? requireOperation(db, id);
}

/** As finishOperation, but returns undefined when the operation had ended already (or does not exist). */
export async function finishOperationIfOpen(
  db: Kysely<Database>,
  id: string,
  outcome: OperationOutcome,
): Promise<OperationRow | undefined> {
  return db
    .updateTable('operations')
    .set({
      state: outcome.state,
      finished_at: new Date(),
      result: outcome.state === 'succeeded' ? JSON.stringify(outcome.result) : null,
      error: outcome.state === 'failed' ? JSON.stringify(outcome.error) : null,
    })
    .where('id', '=', id)
    .where('state', 'in', IN_FLIGHT)
    .returningAll()
    .executeTakeFirst();
}

/** Operations not over yet that were created before `before`, oldest first (the reconciler's list). */
export async function listUnfinishedOperations(db: Kysely<Database>, before: Date): Promise<OperationRow[]> {
  return db
    .selectFrom('operations')
    .selectAll()
    .where('state', 'in', IN_FLIGHT)
    .where('created_at', '<', before)
    .orderBy('created_at', 'asc')
    .execute();
}

export interface ListOperationsFilter {
  channel?: string;
  states?: readonly OperationState[];
  /** Default 50. */
  limit?: number;
}

/** Newest first. */
export async function listOperations(
  db: Kysely<Database>,
  filter: ListOperationsFilter = {},
): Promise<OperationRow[]> {
  let query = db.selectFrom('operations').selectAll();
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel);
  if (filter.states !== undefined && filter.states.length > 0)
    query = query.where('state', 'in', filter.states);
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
    .execute();
}

async function requireOperation(db: Kysely<Database>, id: string): Promise<OperationRow> {
  return (await getOperation(db, id)) ?? missing(id);
}

function missing(id: string): never {
  throw new GpuopsError(ErrorCode.Internal, `Operation ${id} is not in the database.`, {
    details: { op: id },
  });
}

/** Instances with an operation queued or running: no one else may move them meanwhile. */
export async function instancesWithOperationsInFlight(db: Kysely<Database>): Promise<Set<number>> {
  const rows = await db
    .selectFrom('operations')
    .select('instance_id')
    .where('state', 'in', IN_FLIGHT)
    .where('instance_id', 'is not', null)
    .execute();
  return new Set(rows.map((r) => r.instance_id!));
}

/**
 * Where an instance's own conversation is: the thread its deploy was asked in, without the deploy's
 * progress message, so an operation started on its behalf (auto-pause, failover, hibernation)
 * reports there but never edits that message.
 */
export async function instanceThread(
  db: Kysely<Database>,
  instance: Pick<InstanceRow, 'channel' | 'operation_id'>,
): Promise<ReplyTarget> {
  const deploy = await getOperation(db, instance.operation_id);
  if (!deploy) return { surface: 'notice', channel: instance.channel };
  const { message: _progressMessage, ...thread } = deploy.reply_to;
  return thread;
}
