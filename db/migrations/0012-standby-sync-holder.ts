import type { Kysely } from 'kysely';

/**
 * Who holds a standby's sync lease: the lease is now short and renewed while the sync runs, so
 * a worker that dies mid-sync lets go within minutes, and only the holder may renew or release it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('standbys').addColumn('sync_holder', 'text').execute();
}
