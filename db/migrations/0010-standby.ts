import { type Kysely, sql } from 'kysely';

/**
 * CPU standby: per instance, at most one small Compute Engine VM kept in sync with the instance's
 * latest complete snapshot, to fail over onto when no GPU can be had. The row follows the VM at GCP
 * (the truth); `sync_lease_until` keeps two workers from syncing one standby at once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('standbys')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('instance_id', 'integer', (col) => col.notNull().unique())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('requester', 'text', (col) => col.notNull())
    .addColumn('operation_id', 'text')
    .addColumn('vm_name', 'text', (col) => col.notNull())
    .addColumn('zone', 'text', (col) => col.notNull())
    .addColumn('machine_type', 'text', (col) => col.notNull())
    .addColumn('spot', 'boolean', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('nat_ip', 'text')
    .addColumn('synced_snapshot_id', 'integer')
    .addColumn('synced_at', 'timestamptz')
    .addColumn('hourly_cost', 'double precision')
    .addColumn('error', 'jsonb')
    .addColumn('sync_lease_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('standbys').execute();
}
