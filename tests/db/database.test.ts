import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../db/database.ts';
import { migrations } from '../../db/migrations/index.ts';
import { findInstanceByLabel, insertInstance } from '../../db/repositories/instances.ts';
import { GpuopsError } from '../../src/errors.ts';
import {
  embeddedSnapshot,
  type FreshPostgresDatabase,
  freshPostgresDatabase,
  openTestDatabase,
} from '../support/index.ts';

/** The columns db/schema.ts declares, table by table. */
const SCHEMA_COLUMNS = {
  instances: [
    'id',
    'provider',
    'provider_instance_id',
    'offer_id',
    'label',
    'gpu_name',
    'gpu_count',
    'price_per_hour',
    'state',
    'provider_status',
    'image',
    'disk_gb',
    'location',
    'ssh_host',
    'ssh_port',
    'owner',
    'channel',
    'operation_id',
    'created_at',
    'updated_at',
    'running_since',
    'destroyed_at',
    'auto_failover',
    'hibernate_after_ms',
    'stopped_at',
    'hibernated_at',
  ],
  operations: [
    'id',
    'kind',
    'args',
    'requester',
    'channel',
    'reply_to',
    'state',
    'instance_id',
    'step',
    'attempts',
    'created_at',
    'started_at',
    'finished_at',
    'result',
    'error',
    'progress',
    'reply_owner',
    'reply_lease_until',
    'reply_done_at',
  ],
  confirmations: [
    'id',
    'platform',
    'channel',
    'requester',
    'requester_name',
    'question',
    'tool',
    'args',
    'context',
    'message',
    'state',
    'decided_by',
    'created_at',
    'expires_at',
    'decided_at',
  ],
  conversation_turns: ['id', 'conversation', 'user_text', 'assistant_text', 'created_at'],
  inbound_events: ['key', 'received_at'],
  audit_log: ['id', 'at', 'actor', 'action', 'target', 'channel', 'outcome', 'price_per_hour', 'details'],
  failovers: [
    'id',
    'operation_id',
    'instance_id',
    'reason',
    'old_provider_instance_id',
    'old_gpu_name',
    'old_gpu_count',
    'old_price_per_hour',
    'new_provider_instance_id',
    'new_gpu_name',
    'new_price_per_hour',
    'new_offer_id',
    'new_location',
    'snapshot_id',
    'data_age_ms',
    'recovery_ms',
    'provider_wait_ms',
    'moved_at',
    'old_released_at',
    'created_at',
  ],
  instance_health: [
    'instance_id',
    'failures',
    'last_check_at',
    'last_ok_at',
    'last_error',
    'lost_since',
    'lost_reported_at',
    'failover_operation_id',
    'failover_reported_at',
  ],
  standbys: [
    'id',
    'instance_id',
    'channel',
    'requester',
    'operation_id',
    'vm_name',
    'zone',
    'machine_type',
    'spot',
    'state',
    'nat_ip',
    'synced_snapshot_id',
    'synced_at',
    'hourly_cost',
    'error',
    'sync_lease_until',
    'sync_holder',
    'created_at',
    'updated_at',
  ],
  notices: [
    'id',
    'channel',
    'reply_to',
    'instance_id',
    'text',
    'actions',
    'acted_at',
    'acted_by',
    'created_at',
    'delivered_at',
    'claimed_by',
    'claimed_until',
    'attempts',
    'last_error',
    'posted_message',
  ],
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-db-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function freshDatabase(): Promise<FreshPostgresDatabase> {
  const fresh = await freshPostgresDatabase();
  cleanups.push(() => fresh.drop());
  return fresh;
}

async function open(opts: Parameters<typeof openDatabase>[0]): Promise<DatabaseHandle> {
  const handle = await openDatabase(opts);
  cleanups.push(() => handle.close());
  return handle;
}

async function appliedMigrations(handle: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
    handle.db,
  );
  return rows.map((r) => r.name);
}

describe('the database', () => {
  it.each(['postgres', 'pglite'] as const)(
    'creates exactly the columns db/schema.ts declares, on %s',
    async (kind) => {
      const test = await openTestDatabase(kind);
      cleanups.push(() => test.cleanup());
      const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
       where table_schema = 'public' and table_name in (${sql.join(Object.keys(SCHEMA_COLUMNS))})`.execute(
        test.handle.db,
      );
      for (const [table, columns] of Object.entries(SCHEMA_COLUMNS)) {
        const actual = rows.filter((r) => r.table_name === table).map((r) => r.column_name);
        expect(actual.sort(), table).toEqual([...columns].sort());
      }
    },
  );

  it('opens an already migrated PostgreSQL database again without changing it', async () => {
    const fresh = await freshDatabase();
    const first = await openDatabase({ databaseUrl: fresh.url });
    await insertInstance(first.db, {
      provider: 'vast',
      provider_instance_id: null,
      offer_id: null,
      label: 'kept',
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      price_per_hour: 0.4,
      state: 'running',
      provider_status: null,
      image: 'pytorch/pytorch:latest',
      disk_gb: 40,
      location: null,
      ssh_host: null,
      ssh_port: null,
      owner: 'alice',
      channel: 'c',
      operation_id: 'op-1',
    });
    await first.close();

    const second = await open({ databaseUrl: fresh.url });
    expect(second.kind).toBe('postgres');
    expect(second.connectionString).toBe(fresh.url);
    expect(await appliedMigrations(second)).toEqual(Object.keys(migrations));
    expect(await findInstanceByLabel(second.db, 'kept')).toMatchObject({ price_per_hour: 0.4 });
  });

  it('lets several processes open a new PostgreSQL database at once: one migrates, the others wait', async () => {
    const fresh = await freshDatabase();
    // Separate pools are separate sessions, which is what separate processes are to PostgreSQL.
    const handles = await Promise.all([1, 2, 3, 4].map(() => open({ databaseUrl: fresh.url, poolSize: 2 })));
    for (const handle of handles) {
      expect(await appliedMigrations(handle)).toEqual(Object.keys(migrations));
    }
  });

  it('keeps the embedded database in its data folder across close and reopen', async () => {
    const dataDir = await tempDir();
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('pglite');
    // A Unix socket only this user can open, not a port (tests/db/embedded-db-auth.test.ts).
    expect(first.connectionString).toMatch(/^postgres:\/\/postgres@localhost:5432\/postgres\?host=%2F.+$/);
    await insertInstance(first.db, {
      provider: 'vast',
      provider_instance_id: '77',
      offer_id: 1,
      label: 'persisted',
      gpu_name: 'H100 SXM',
      gpu_count: 8,
      price_per_hour: 18.25,
      state: 'running',
      provider_status: 'running',
      image: 'vllm/vllm-openai',
      disk_gb: 200,
      location: 'Texas, US',
      ssh_host: '127.0.0.1',
      ssh_port: 40022,
      owner: 'alice',
      channel: 'c',
      operation_id: 'op-2',
    });
    await first.close();

    const second = await open({ dataDir });
    expect(await findInstanceByLabel(second.db, 'persisted')).toMatchObject({
      gpu_count: 8,
      price_per_hour: 18.25,
    });
    expect(await appliedMigrations(second)).toEqual(Object.keys(migrations));
  });

  it('starts a new data folder from a snapshot, and keeps its data when reopened with one', async () => {
    const dataDir = await tempDir();
    const snapshot = await embeddedSnapshot();
    const first = await openDatabase({ dataDir, snapshot });
    await insertInstance(first.db, {
      provider: 'vast',
      provider_instance_id: null,
      offer_id: null,
      label: 'seeded',
      gpu_name: 'A100 SXM4',
      gpu_count: 1,
      price_per_hour: 1.1,
      state: 'running',
      provider_status: null,
      image: 'pytorch/pytorch:latest',
      disk_gb: 40,
      location: null,
      ssh_host: null,
      ssh_port: null,
      owner: 'alice',
      channel: 'c',
      operation_id: 'op-3',
    });
    await first.close();

    const second = await open({ dataDir, snapshot });
    expect(await findInstanceByLabel(second.db, 'seeded')).toMatchObject({ gpu_name: 'A100 SXM4' });
  });

  it('refuses to open an embedded database that another gpuops has open, naming the way out', async () => {
    const dataDir = await tempDir();
    await open({ dataDir });
    const err = await openDatabase({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuopsError);
    expect((err as Error).message).toMatch(/in use.*DATABASE_URL/s);
  });

  it('takes over the lock of an embedded database whose process died', async () => {
    const dataDir = await tempDir();
    // pid 2^22 + 1 is above Linux's pid_max, so no process can have it.
    await writeFile(path.join(dataDir, 'pglite.lock'), String(4_194_305));
    const handle = await open({ dataDir });
    expect(handle.kind).toBe('pglite');
  });

  it('serves the embedded database to other pg clients at its connection string', async () => {
    const test = await openTestDatabase('pglite');
    cleanups.push(() => test.cleanup());
    const client = new pg.Client({ connectionString: test.handle.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from instances');
      expect(rows[0]?.n).toBe('0');
    } finally {
      await client.end();
    }
  });

  it('fails fast with a message naming DATABASE_URL when PostgreSQL does not answer', async () => {
    const port = await closedPort();
    const started = Date.now();
    const err = await openDatabase({
      databaseUrl: `postgres://gpuops:hunter2@127.0.0.1:${port}/gpuops`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuopsError);
    expect((err as Error).message).toContain('DATABASE_URL');
    expect((err as Error).message).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
