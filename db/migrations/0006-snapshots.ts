import { type Kysely, sql } from 'kysely';

/**
 * Snapshots of instance workspaces. A row is made when its job starts and is `complete` only once
 * its content and manifest are stored; the manifest itself lives in the snapshot storage.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('snapshots')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('operation_id', 'text', (col) => col.notNull().unique())
    .addColumn('instance_id', 'integer', (col) => col.notNull())
    .addColumn('name', 'text')
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('requester', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().defaultTo('in_progress'))
    .addColumn('files', 'bigint')
    .addColumn('bytes', 'bigint')
    .addColumn('uploaded_bytes', 'bigint')
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('snapshots_by_instance')
    .on('snapshots')
    .columns(['instance_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('snapshots').execute();
}
