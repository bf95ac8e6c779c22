import { type Kysely, sql } from 'kysely';

/**
 * What lets several bot processes (and a restarted one) serve Slack and Discord:
 * - `operations.reply_*`: which process keeps an operation's progress message current (a lease
 *   that another process takes over when it lapses) and when its final state was shown;
 * - `confirmations`: a question put to a requester with buttons, and the exact call it confirms,
 *   so whichever process receives the click can run it, once;
 * - `conversation_turns`: what was said in each thread, so a follow-up is read in context;
 * - `recommendations.conversation`: "deploy it" deploys what was recommended in that thread;
 * - `inbound_events`: platform deliveries already taken, so a redelivery starts nothing twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('operations')
    .addColumn('reply_owner', 'text')
    .addColumn('reply_lease_until', 'timestamptz')
    .addColumn('reply_done_at', 'timestamptz')
    .execute();
  // Operations from before this migration had no progress message that could be found again.
  await sql`update operations set reply_done_at = coalesce(finished_at, now())`.execute(db);
  await sql`
    create index operations_reply_pending on operations (created_at)
     where reply_done_at is null`.execute(db);

  await db.schema
    .createTable('confirmations')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('platform', 'text', (col) => col.notNull())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('requester', 'text', (col) => col.notNull())
    .addColumn('requester_name', 'text', (col) => col.notNull())
    .addColumn('question', 'text', (col) => col.notNull())
    .addColumn('tool', 'text', (col) => col.notNull())
    .addColumn('args', 'jsonb', (col) => col.notNull())
    .addColumn('context', 'jsonb', (col) => col.notNull())
    .addColumn('message', 'jsonb')
    .addColumn('state', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('decided_by', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('decided_at', 'timestamptz')
    .execute();
  await sql`create index confirmations_pending on confirmations (expires_at) where state = 'pending'`.execute(
    db,
  );

  await db.schema
    .createTable('conversation_turns')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('conversation', 'text', (col) => col.notNull())
    .addColumn('user_text', 'text', (col) => col.notNull())
    .addColumn('assistant_text', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('conversation_turns_by_conversation')
    .on('conversation_turns')
    .columns(['conversation', 'id'])
    .execute();

  await db.schema.alterTable('recommendations').addColumn('conversation', 'text').execute();

  await db.schema
    .createTable('inbound_events')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('received_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('inbound_events').execute();
  await db.schema.alterTable('recommendations').dropColumn('conversation').execute();
  await db.schema.dropTable('conversation_turns').execute();
  await db.schema.dropTable('confirmations').execute();
  await sql`drop index operations_reply_pending`.execute(db);
  await db.schema
    .alterTable('operations')
    .dropColumn('reply_owner')
    .dropColumn('reply_lease_until')
    .dropColumn('reply_done_at')
    .execute();
}
