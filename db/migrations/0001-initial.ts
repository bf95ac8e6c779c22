import { type Kysely, sql } from 'kysely';

/**
 * The first schema: instances, operations and the audit log, exactly as `db/schema.ts` types them.
 * Prices are double precision so `pg` returns numbers; JSON columns are jsonb so `pg` returns
 * parsed objects. States and kinds are plain text (the TypeScript unions guard them) so adding a
 * tool's operation kind needs no migration.
 */

// Migrations take Kysely<unknown>: they must not depend on today's table types, which later
// migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instances')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('provider', 'text', (col) => col.notNull())
    .addColumn('provider_instance_id', 'text')
    .addColumn('offer_id', 'integer')
    .addColumn('label', 'text', (col) => col.notNull().unique())
    .addColumn('gpu_name', 'text', (col) => col.notNull())
    .addColumn('gpu_count', 'integer', (col) => col.notNull())
    .addColumn('price_per_hour', 'double precision', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('provider_status', 'text')
    .addColumn('image', 'text', (col) => col.notNull())
    .addColumn('disk_gb', 'integer', (col) => col.notNull())
    .addColumn('location', 'text')
    .addColumn('ssh_host', 'text')
    .addColumn('ssh_port', 'integer')
    .addColumn('owner', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('operation_id', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('running_since', 'timestamptz')
    .addColumn('destroyed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('instances_channel_state_idx')
    .on('instances')
    .columns(['channel', 'state'])
    .execute();
  // A retried deploy looks up what its operation already rented.
  await db.schema.createIndex('instances_operation_id_idx').on('instances').column('operation_id').execute();

  await db.schema
    .createTable('operations')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('args', 'jsonb', (col) => col.notNull())
    .addColumn('requester', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('reply_to', 'jsonb', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('instance_id', 'integer', (col) => col.references('instances.id').onDelete('set null'))
    .addColumn('step', 'text')
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'jsonb')
    .execute();
  await db.schema
    .createIndex('operations_channel_created_at_idx')
    .on('operations')
    .columns(['channel', 'created_at'])
    .execute();
  // Start-up looks for operations a killed process left running.
  await db.schema.createIndex('operations_state_idx').on('operations').column('state').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target', 'text')
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('outcome', 'text', (col) => col.notNull())
    .addColumn('price_per_hour', 'double precision')
    .addColumn('details', 'jsonb')
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_target_idx').on('audit_log').column('target').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropTable('operations').execute();
  await db.schema.dropTable('instances').execute();
}
