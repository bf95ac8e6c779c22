import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.ts';

/**
 * This deployment's id: one per database, shared by every process that uses it. The queue's
 * default namespace and every job's data carry it, so a worker can tell another deployment's job
 * from its own.
 */
export async function deploymentId(db: Kysely<Database>): Promise<string> {
  // The migration seeds it; a database whose row was lost gets a new one, once.
  await sql`insert into deployment (id)
            select replace(gen_random_uuid()::text, '-', '')
             where not exists (select 1 from deployment)`.execute(db);
  const row = await db.selectFrom('deployment').select('id').orderBy('created_at').executeTakeFirstOrThrow();
  return row.id;
}
