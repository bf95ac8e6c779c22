import type { Kysely } from 'kysely';
import type { Database, InstanceHealthRow } from '../schema.ts';

/**
 * What the health monitor knows of each instance between passes: consecutive failed checks, when
 * the machine was judged lost, whether the channel was told, and the automatic failover started
 * for that loss. Every transition is one statement, so two monitors never act on a loss twice.
 */

export async function getHealth(
  db: Kysely<Database>,
  instanceId: number,
): Promise<InstanceHealthRow | undefined> {
  return db
    .selectFrom('instance_health')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
}

/** A check that reached the machine: the count of failures and any loss are over. */
export async function recordHealthy(db: Kysely<Database>, instanceId: number, at: Date): Promise<void> {
  await db
    .insertInto('instance_health')
    .values({ instance_id: instanceId, failures: 0, last_check_at: at, last_ok_at: at })
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet({
        failures: 0,
        last_check_at: at,
        last_ok_at: at,
        last_error: null,
        lost_since: null,
        lost_reported_at: null,
        // A failover that ended (and was told) belongs to the loss that is now over.
        failover_operation_id: null,
      }),
    )
    .execute();
}

/** A check that did not reach the machine; returns the row with its new count of failures. */
export async function recordFailedCheck(
  db: Kysely<Database>,
  instanceId: number,
  error: string,
  at: Date,
): Promise<InstanceHealthRow> {
  return db
    .insertInto('instance_health')
    .values({ instance_id: instanceId, failures: 1, last_check_at: at, last_error: error })
    .onConflict((oc) =>
      oc.column('instance_id').doUpdateSet((eb) => ({
        failures: eb('instance_health.failures', '+', 1),
        last_check_at: at,
        last_error: error,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Marks the machine lost (keeping the first time it was judged so) and returns the row. */
export async function markLost(
  db: Kysely<Database>,
  instanceId: number,
  error: string,
  at: Date,
): Promise<InstanceHealthRow> {
  await db
    .insertInto('instance_health')
    .values({ instance_id: instanceId, failures: 1, last_check_at: at, last_error: error, lost_since: at })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet({ last_check_at: at, last_error: error }))
    .execute();
  return db
    .updateTable('instance_health')
    .set({ lost_since: at })
    .where('instance_id', '=', instanceId)
    .where('lost_since', 'is', null)
    .returningAll()
    .executeTakeFirst()
    .then(async (row) => row ?? (await getHealth(db, instanceId))!);
}

/** Claims the telling of a loss; true for exactly one caller per loss. */
export async function claimLostReport(db: Kysely<Database>, instanceId: number, at: Date): Promise<boolean> {
  const row = await db
    .updateTable('instance_health')
    .set({ lost_reported_at: at })
    .where('instance_id', '=', instanceId)
    .where('lost_reported_at', 'is', null)
    .returning('instance_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Writes down the automatic failover for the current loss before it is queued, so a monitor that
 * dies in between queues the same operation (same id) next time rather than a second one.
 */
export async function claimAutoFailover(
  db: Kysely<Database>,
  instanceId: number,
  operationId: string,
): Promise<string> {
  await db
    .updateTable('instance_health')
    .set({ failover_operation_id: operationId, failover_reported_at: null })
    .where('instance_id', '=', instanceId)
    .where('failover_operation_id', 'is', null)
    .execute();
  const row = await getHealth(db, instanceId);
  return row!.failover_operation_id!;
}

/**
 * Claims the telling of how an automatic failover ended; true for exactly one caller. A failover
 * that moved the instance ends the loss; one that failed keeps it, and its operation stays written
 * down so the monitor does not start another for the same loss (the channel is told the command).
 */
export async function claimFailoverReport(
  db: Kysely<Database>,
  instanceId: number,
  operationId: string,
  outcome: { succeeded: boolean; at: Date },
): Promise<boolean> {
  const row = await db
    .updateTable('instance_health')
    .set({
      failover_reported_at: outcome.at,
      ...(outcome.succeeded
        ? { failover_operation_id: null, lost_since: null, lost_reported_at: null, failures: 0 }
        : { lost_reported_at: outcome.at }),
    })
    .where('instance_id', '=', instanceId)
    .where('failover_operation_id', '=', operationId)
    .where('failover_reported_at', 'is', null)
    .returning('instance_id')
    .executeTakeFirst();
  return row !== undefined;
}
