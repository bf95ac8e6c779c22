import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { asGpuopsError, ErrorCode } from '../src/errors.ts';
import { TEST_POSTGRES_ADMIN_URL as POSTGRES_URL } from './support/postgres.ts';

describe('asGpuopsError', () => {
  it('calls a database connection the server cut a retryable database outage, saying what to check', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    client.on('error', () => {});
    const killer = new pg.Client({ connectionString: POSTGRES_URL });
    await killer.connect();
    try {
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const cut = client.query('select pg_sleep(5)').catch((err: unknown) => err);
      await killer.query('select pg_terminate_backend($1)', [pid]);
      const error = asGpuopsError(await cut);
      expect(error.code).toBe(ErrorCode.DatabaseUnavailable);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/Postgres.*DATABASE_URL/);
    } finally {
      await killer.end();
      await client.end().catch(() => {});
    }
  });

  it('keeps a query the database refused for its content an internal error, not an outage', async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const error = asGpuopsError(
        await client.query('select * from no_such_table_here').catch((e: unknown) => e),
      );
      expect(error.code).toBe(ErrorCode.Internal);
      expect(error.retryable).toBe(false);
    } finally {
      await client.end();
    }
  });
});
