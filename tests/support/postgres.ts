import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The local PostgreSQL the tests create their databases in, as a role allowed to create and drop
 * them. TEST_POSTGRES_URL points the tests elsewhere (CI).
 */
export const TEST_POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface FreshPostgresDatabase {
  name: string;
  /** postgres:// URL of the new database, as DATABASE_URL takes it. */
  url: string;
  /** Drops the database, disconnecting anyone still in it. Safe to call twice. */
  drop(): Promise<void>;
}

/** A new, empty, uniquely named database on the local PostgreSQL. */
export async function freshPostgresDatabase(): Promise<FreshPostgresDatabase> {
  const name = `gpuops_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop() {
      // FORCE: a pool a failed test left open must not keep the database alive.
      dropped ??= admin(`drop database if exists ${name} with (force)`);
      return dropped;
    },
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
