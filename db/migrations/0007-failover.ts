import { type Kysely, sql } from 'kysely';

/**
 * Failover: one row per failover operation, written as it goes, so a resumed job knows which
 * machine it replaces and which one it rented, and so recovery time and data age can be reported.
 * `instances.auto_failover` marks the instances the health monitor fails over by itself;
 * `instance_health` is what the monitor knows of each running instance between its passes.
 * Hibernation: an instance paused longer than `hibernate_after_ms` is snapshotted and its machine
 * released (state `hibernated`); waking it restores the snapshot onto a new machine.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('failovers')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('operation_id', 'text', (col) => col.notNull().unique())
    .addColumn('instance_id', 'integer', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('old_provider_instance_id', 'text')
    .addColumn('old_gpu_name', 'text', (col) => col.notNull())
    .addColumn('old_gpu_count', 'integer', (col) => col.notNull())
    .addColumn('old_price_per_hour', 'double precision', (col) => col.notNull())
    .addColumn('new_provider_instance_id', 'text')
    .addColumn('new_gpu_name', 'text')
    .addColumn('new_price_per_hour', 'double precision')
    .addColumn('new_offer_id', 'integer')
    .addColumn('new_location', 'text')
    .addColumn('snapshot_id', 'integer')
    .addColumn('data_age_ms', 'bigint')
    .addColumn('recovery_ms', 'bigint')
    .addColumn('provider_wait_ms', 'bigint')
    .addColumn('moved_at', 'timestamptz')
    .addColumn('old_released_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('instance_health')
    .addColumn('instance_id', 'integer', (col) => col.primaryKey())
    .addColumn('failures', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_check_at', 'timestamptz')
    .addColumn('last_ok_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('lost_since', 'timestamptz')
    .addColumn('lost_reported_at', 'timestamptz')
    .addColumn('failover_operation_id', 'text')
    .addColumn('failover_reported_at', 'timestamptz')
    .execute();
  await db.schema
    .alterTable('instances')
    .addColumn('auto_failover', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('hibernate_after_ms', 'bigint')
    .addColumn('stopped_at', 'timestamptz')
    .addColumn('hibernated_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('instances')
    .dropColumn('auto_failover')
    .dropColumn('hibernate_after_ms')
    .dropColumn('stopped_at')
    .dropColumn('hibernated_at')
    .execute();
  await db.schema.dropTable('instance_health').execute();
  await db.schema.dropTable('failovers').execute();
}
