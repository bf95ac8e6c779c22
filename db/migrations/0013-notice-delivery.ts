import type { Kysely } from 'kysely';

/**
 * Notices are delivered at least once: a bot process claims a notice for a while (a lease), posts
 * it, and marks it delivered only once the platform took it. A post that fails lets the claim go
 * after a backoff; a process that dies holding a claim lets it go when the lease runs out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('notices')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'timestamptz')
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('posted_message', 'text')
    .execute();
}
