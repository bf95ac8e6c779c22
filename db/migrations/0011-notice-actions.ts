import type { Kysely } from 'kysely';

/**
 * Notices that offer something to do about them ("Keep i-3 running" under an auto-pause warning):
 * the tool calls their buttons run, and who acted on one first, so a notice is acted on once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('notices')
    .addColumn('actions', 'jsonb')
    .addColumn('acted_at', 'timestamptz')
    .addColumn('acted_by', 'text')
    .execute();
}
