import { type Kysely, sql } from 'kysely';

/**
 * What deleting, keeping and scheduling snapshots needs:
 * - `snapshots.deleted_at`, `purged_at`: a deleted snapshot (state `deleted`) is gone for people
 *   at once; its manifest, and content no other snapshot needs, are removed later by the storage
 *   clean-up, which records when in `purged_at`;
 * - `snapshots.contents`: a summary of the manifest (largest files, top-level folders), so a
 *   snapshot can be described without reading the storage;
 * - `snapshot_policies`: per instance, how many snapshots to keep and how often to take one;
 * - `storage_locks`: leases on the snapshot storage. Snapshots and restores hold a shared one; the
 *   clean-up that deletes content holds the only exclusive one, so it never deletes what a
 *   snapshot under way decided not to upload because it was already stored (restic's prune).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('snapshots')
    .addColumn('contents', 'jsonb')
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('purged_at', 'timestamptz')
    .execute();
  await sql`
    create index snapshots_awaiting_purge on snapshots (id)
     where state = 'deleted' and purged_at is null`.execute(db);

  await db.schema
    .createTable('snapshot_policies')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('instance_id', 'integer', (col) => col.notNull().unique())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('requester', 'text', (col) => col.notNull())
    .addColumn('reply_to', 'jsonb')
    .addColumn('keep_last', 'integer', (col) => col.check(sql`keep_last >= 0`))
    .addColumn('every_minutes', 'integer', (col) => col.check(sql`every_minutes > 0`))
    .addColumn('schedule_anchor', 'timestamptz')
    .addColumn('last_due_at', 'timestamptz')
    .addColumn('last_operation_id', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('storage_locks')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('mode', 'text', (col) => col.notNull().check(sql`mode in ('shared', 'exclusive')`))
    .addColumn('holder', 'text', (col) => col.notNull())
    .addColumn('acquired_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('storage_locks').execute();
  await db.schema.dropTable('snapshot_policies').execute();
  await sql`drop index snapshots_awaiting_purge`.execute(db);
  await db.schema
    .alterTable('snapshots')
    .dropColumn('contents')
    .dropColumn('deleted_at')
    .dropColumn('purged_at')
    .execute();
}
