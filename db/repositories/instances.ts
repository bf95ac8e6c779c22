import type { ExpressionBuilder, Kysely } from 'kysely';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import type { Database, InstanceRow, InstanceState, InstanceUpdate, NewInstance } from '../schema.ts';

type SelectFrom = ExpressionBuilder<Database, 'instances'>['selectFrom'];

/**
 * Instances gpuops rents, one row per rental. Every function takes the Kysely instance or a
 * transaction (`Transaction` extends `Kysely`), so callers choose the unit of work.
 */

export async function insertInstance(db: Kysely<Database>, values: NewInstance): Promise<InstanceRow> {
  return db.insertInto('instances').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Inserts the instance a deploy is about to rent and names it on the operation's row in one
 * transaction, so no other operation can be started on the instance before the deploy owns it.
 */
export async function insertInstanceForOperation(
  db: Kysely<Database>,
  values: NewInstance & { operation_id: string },
): Promise<InstanceRow> {
  return db.transaction().execute(async (tx) => {
    const row = await insertInstance(tx, values);
    await tx
      .updateTable('operations')
      .set({ instance_id: row.id })
      .where('id', '=', values.operation_id)
      .execute();
    return row;
  });
}

/**
 * Removes the record of a rental that never happened (no provider id): nothing exists to show.
 * Refuses, returning false, once the record has a machine.
 */
export async function deleteUnrentedInstance(
  db: Kysely<Database>,
  id: number,
  /** The operation that is ending and removing it (its own deploy), which does not count as busy. */
  endingOperation?: string,
): Promise<boolean> {
  const deleted = await db
    .deleteFrom('instances')
    .where('id', '=', id)
    .where('provider_instance_id', 'is', null)
    // A deploy that is renting it right now owns it.
    .where(({ not, exists, selectFrom }) =>
      not(exists(inFlightOn(selectFrom, id).where('operations.id', '!=', endingOperation ?? ''))),
    )
    .executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

/**
 * As updateInstance, but only while no operation is queued or running on the instance (the
 * reconciler's writes must never race an operation's); undefined when one is.
 */
export async function updateIdleInstance(
  db: Kysely<Database>,
  id: number,
  patch: Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'>,
): Promise<InstanceRow | undefined> {
  return db
    .updateTable('instances')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .where(({ not, exists, selectFrom }) => not(exists(inFlightOn(selectFrom, id))))
    .returningAll()
    .executeTakeFirst();
}

function inFlightOn(selectFrom: SelectFrom, id: number) {
  return selectFrom('operations')
    .select('operations.id')
    .where('operations.instance_id', '=', id)
    .where('operations.state', 'in', ['queued', 'running']);
}

export async function getInstance(db: Kysely<Database>, id: number): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findInstanceByLabel(
  db: Kysely<Database>,
  label: string,
): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('label', '=', label).executeTakeFirst();
}

/** The instance an operation rented, if it got that far (a retried deploy asks before renting again). */
export async function findInstanceByOperation(
  db: Kysely<Database>,
  operationId: string,
): Promise<InstanceRow | undefined> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('operation_id', '=', operationId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** Changes the given columns and stamps `updated_at`. Throws when there is no such instance. */
export async function updateInstance(
  db: Kysely<Database>,
  id: number,
  patch: Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'>,
): Promise<InstanceRow> {
  const row = await db
    .updateTable('instances')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) {
    throw new GpuopsError(ErrorCode.InstanceNotFound, `Instance i-${id} is not in the database.`, {
      details: { instanceId: id },
    });
  }
  return row;
}

export interface ListInstancesFilter {
  /** Only this channel's instances; unset: every channel (admin views, the reconciler). */
  channel?: string;
  /** Only these states; unset or empty: all of them. */
  states?: readonly InstanceState[];
  owner?: string;
}

/** Oldest first, so `i-<id>` numbers read in order. */
export async function listInstances(
  db: Kysely<Database>,
  filter: ListInstancesFilter = {},
): Promise<InstanceRow[]> {
  let query = db.selectFrom('instances').selectAll();
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel);
  if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
  if (filter.states !== undefined && filter.states.length > 0)
    query = query.where('state', 'in', filter.states);
  return query.orderBy('id', 'asc').execute();
}
