import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

/**
 * Takes a platform delivery (a Slack event id, a Discord interaction id) once: true the first time
 * any process sees `key`, false for every redelivery, so a retried event starts nothing twice.
 */
export async function takeInboundEvent(db: Kysely<Database>, key: string): Promise<boolean> {
  const row = await db
    .insertInto('inbound_events')
    .values({ key })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets deliveries older than any platform redelivers (Slack retries within minutes). */
export async function forgetInboundEvents(db: Kysely<Database>, olderThan: Date): Promise<void> {
  await db.deleteFrom('inbound_events').where('received_at', '<', olderThan).execute();
}
