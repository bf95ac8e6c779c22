import { type Kysely, sql } from 'kysely';

/**
 * Jobs: a command run on a GPU machine to its end (`j-4` to users). The row is the job's truth
 * across workers and restarts: which attempt runs on which machine under which run id, how much of
 * its log is safe in storage (`remote_offset` on the machine's log, `log_bytes` in storage), and
 * how it ended. `spec` is what was asked for and never changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('owner', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('operation_id', 'text', (col) => col.unique())
    .addColumn('state', 'text', (col) => col.notNull().defaultTo('queued'))
    .addColumn('spec', 'jsonb', (col) => col.notNull())
    .addColumn('rerun_of', 'integer')
    .addColumn('attempt', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('run_id', 'text')
    .addColumn('instance_id', 'integer')
    .addColumn('instance_ids', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('remote_offset', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('log_bytes', 'bigint', (col) => col.notNull().defaultTo(0))
    .addColumn('log_tail', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('exit_code', 'integer')
    .addColumn('signal', 'text')
    .addColumn('end_message', 'text')
    .addColumn('ending', 'jsonb')
    .addColumn('cost', 'double precision', (col) => col.notNull().defaultTo(0))
    .addColumn('attempt_started_at', 'timestamptz')
    .addColumn('command_started_at', 'timestamptz')
    .addColumn('output_synced_at', 'timestamptz')
    .addColumn('artifacts', 'jsonb')
    .addColumn('cancel_requested_at', 'timestamptz')
    .addColumn('cancel_requested_by', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('jobs_owner_channel_idx')
    .on('jobs')
    .columns(['channel', 'owner', 'id'])
    .execute();
  await db.schema.createIndex('jobs_state_idx').on('jobs').column('state').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('jobs').execute();
}
