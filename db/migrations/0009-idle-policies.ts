import { type Kysely, sql } from 'kysely';

/**
 * Auto-pause of idle instances:
 * - `idle_policies`: "pause i-3 when idle for 15 minutes" (one row per instance) and a channel's
 *   default for all its instances (instance_id null, one per channel). A disabled instance row
 *   opts that instance out of its channel's default.
 * - `idle_watch`: the idle check's compact running state per instance (no sample history): since
 *   when its GPUs have been under the threshold, the warning given, the pause requested for this
 *   idle episode, and "keep i-3 running".
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idle_policies')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('instance_id', 'integer')
    .addColumn('enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('idle_minutes', 'integer')
    .addColumn('min_utilization', 'integer', (col) => col.notNull())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index idle_policies_one_per_instance on idle_policies (instance_id)
             where instance_id is not null`.execute(db);
  await sql`create unique index idle_policies_one_default_per_channel on idle_policies (channel)
             where instance_id is null`.execute(db);

  await db.schema
    .createTable('idle_watch')
    .addColumn('instance_id', 'integer', (col) => col.primaryKey())
    .addColumn('idle_since', 'timestamptz')
    .addColumn('last_sample_at', 'timestamptz')
    .addColumn('last_utilization', 'double precision')
    .addColumn('warned_at', 'timestamptz')
    .addColumn('pause_due_at', 'timestamptz')
    .addColumn('pause_operation_id', 'text')
    .addColumn('pause_requested_at', 'timestamptz')
    .addColumn('snoozed_at', 'timestamptz')
    .addColumn('snoozed_until', 'timestamptz')
    .addColumn('snoozed_by', 'text')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // Automatic pauses and their ends are read from the audit log by operation, and each is
  // recorded once however many idle checks run at the same time.
  await sql`create unique index audit_log_auto_pause on audit_log (action, (details->>'operation'))
             where action in ('auto-pause', 'auto-pause-ended')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index audit_log_auto_pause`.execute(db);
  await db.schema.dropTable('idle_watch').execute();
  await db.schema.dropTable('idle_policies').execute();
}
