import { type Kysely, sql } from 'kysely';

/**
 * What the advisor last recommended in each channel, so "deploy it" deploys exactly that. Kept
 * (not overwritten) so the audit trail can show what advice led to which rental.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('recommendations')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('requester', 'text', (col) => col.notNull())
    .addColumn('question', 'text', (col) => col.notNull())
    .addColumn('workload', 'jsonb', (col) => col.notNull())
    .addColumn('pick', 'jsonb')
    .addColumn('alternatives', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('recommendations_channel_created')
    .on('recommendations')
    .columns(['channel', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('recommendations').execute();
}
