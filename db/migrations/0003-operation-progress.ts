import type { Kysely } from 'kysely';

/**
 * The last progress an operation reported, kept on its row: a bot that missed the queue's
 * progress events (a reconnect, a restart, or BullMQ's Postgres backend dropping an event) can
 * still show where the operation is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operations').addColumn('progress', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('operations').dropColumn('progress').execute();
}
