import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema.ts';

/**
 * Runs `during` with `table` renamed away, then puts it back: every statement on it fails with
 * Postgres's own error, as when the database is lost mid-request, without touching gpuops's code.
 */
export async function withTableGone(
  db: Kysely<Database>,
  table: string,
  during: () => Promise<void>,
): Promise<void> {
  await sql`alter table ${sql.table(table)} rename to ${sql.table(`${table}_gone`)}`.execute(db);
  try {
    await during();
  } finally {
    await sql`alter table ${sql.table(`${table}_gone`)} rename to ${sql.table(table)}`.execute(db);
  }
}
