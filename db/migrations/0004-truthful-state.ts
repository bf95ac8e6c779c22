import { type Kysely, sql } from 'kysely';

/**
 * What keeps records truthful:
 * - `deployment`: one row naming this gpuops deployment, so a queue shared by mistake with another
 *   deployment can tell their jobs apart (and so the default Redis prefix is this deployment's own);
 * - at most one operation in flight (queued or running) per instance, enforced by the database so
 *   two processes cannot both start one;
 * - `notices`: what the reconciler and the job finaliser have to tell a channel, until a bot shows it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployment')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`insert into deployment (id) values (replace(gen_random_uuid()::text, '-', ''))`.execute(db);

  // Earlier versions could leave several operations "running" forever on one instance (a job
  // BullMQ gave up on); all but the newest are over in truth, so the index below can hold.
  await sql`
    update operations o
       set state = 'failed',
           finished_at = now(),
           error = jsonb_build_object('code', 'abandoned', 'message',
             'This operation was left unfinished by an earlier version of gpuops.')
     where o.state in ('queued', 'running')
       and o.instance_id is not null
       and exists (
         select 1 from operations newer
          where newer.instance_id = o.instance_id
            and newer.state in ('queued', 'running')
            and (newer.created_at, newer.id) > (o.created_at, o.id))`.execute(db);
  // Earlier versions recorded a failed deploy whose machine was released as "failed"; its machine
  // is gone, which is "destroyed" now ("failed" means a dead machine that still exists).
  await sql`
    update instances set state = 'destroyed', running_since = null
     where state = 'failed' and provider_status = 'destroyed'`.execute(db);
  await sql`
    create unique index operations_one_in_flight_per_instance
        on operations (instance_id)
     where state in ('queued', 'running') and instance_id is not null`.execute(db);

  await db.schema
    .createTable('notices')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('reply_to', 'jsonb')
    .addColumn('instance_id', 'integer')
    .addColumn('text', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await sql`create index notices_undelivered on notices (channel, id) where delivered_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notices').execute();
  await sql`drop index operations_one_in_flight_per_instance`.execute(db);
  await db.schema.dropTable('deployment').execute();
}
