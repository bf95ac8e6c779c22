import type { Kysely, Updateable } from 'kysely';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import type { Database, NewOperation, OperationRow, OperationState, OperationsTable } from '../schema.ts';

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

/** Inserts the operation, or returns the existing one with the same id: safe to repeat. */
export async function createOperation(db: Kysely<Database>, values: NewOperation): Promise<CreatedOperation> {
  const inserted = await db
    .insertInto('operations')
    .values(values)
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted !== undefined) return { operation: inserted, created: true };
  return { operation: await requireOperation(db, values.id), created: false };
}

export async function getOperation(db: Kysely<Database>, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
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
): Promise<OperationRow> {
  const row = await db
    .updateTable('operations')
    .set((eb) => ({
      state: 'running',
      step,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', eb.fn<Date>('now')),
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ?? missing(id);
}

export type OperationOutcome =
  | { state: 'succeeded'; result: Record<string, unknown> }
  | { state: 'failed'; error: { code: string; message: string } };

/** Final state with its result or error, and `finished_at`. Throws when there is no such operation. */
export async function finishOperation(
  db: Kysely<Database>,
  id: string,
  outcome: OperationOutcome,
): Promise<OperationRow> {
  const row = await db
    .updateTable('operations')
    .set({
      state: outcome.state,
      finished_at: new Date(),
      result: outcome.state === 'succeeded' ? JSON.stringify(outcome.result) : null,
      error: outcome.state === 'failed' ? JSON.stringify(outcome.error) : null,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ?? missing(id);
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
