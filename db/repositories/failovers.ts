import type { Kysely, Updateable } from 'kysely';
import type { Database, FailoverReason, FailoverRow, FailoversTable, InstanceRow } from '../schema.ts';

/**
 * Failovers: one row per failover operation, keyed by it, so a retried job finds the machine it
 * replaces (written before anything else changes) and the replacement it already rented.
 */

/** The operation's failover row, made on its first run from the instance as it was then. */
export async function startFailoverRow(
  db: Kysely<Database>,
  values: { operationId: string; instance: InstanceRow; reason: FailoverReason },
): Promise<FailoverRow> {
  const { instance } = values;
  await db
    .insertInto('failovers')
    .values({
      operation_id: values.operationId,
      instance_id: instance.id,
      reason: values.reason,
      old_provider_instance_id: instance.provider_instance_id,
      old_gpu_name: instance.gpu_name,
      old_gpu_count: instance.gpu_count,
      old_price_per_hour: instance.price_per_hour,
    })
    .onConflict((oc) => oc.column('operation_id').doNothing())
    .execute();
  return db
    .selectFrom('failovers')
    .selectAll()
    .where('operation_id', '=', values.operationId)
    .executeTakeFirstOrThrow();
}

export async function updateFailover(
  db: Kysely<Database>,
  id: number,
  values: Omit<Updateable<FailoversTable>, 'id' | 'operation_id' | 'instance_id'>,
): Promise<FailoverRow> {
  return db
    .updateTable('failovers')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function failoverOfOperation(
  db: Kysely<Database>,
  operationId: string,
): Promise<FailoverRow | undefined> {
  return db.selectFrom('failovers').selectAll().where('operation_id', '=', operationId).executeTakeFirst();
}
