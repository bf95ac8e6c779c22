import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failNext, resetFailures } from '../../src/cloud/sim/admin-client.ts';
import { type HttpServer, startHttpServer } from '../../src/http/server.ts';
import { seededDataDir } from '../support/embedded-data-dir.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { testBackends } from '../support/index.ts';
import {
  type RedisClients,
  type RestartableRedis,
  startRestartableRedis,
} from '../support/restartable-redis.ts';

/** The value of one sample in Prometheus text, e.g. `gpuops_operations_started_total{kind="deploy"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Every suite's gpuops starts at once when the file starts, so their start-ups (embedded
 * databases, simulators, queues) overlap; the suites then run one after another. Each suite
 * starts its HTTP server itself: a process has one metrics sink, the newest server's registry.
 */
interface Started {
  g: TestGpuops;
  close(): Promise<void>;
}
const starting = new Map<string, Promise<Started>>();
const closing = new Map<string, Promise<void>>();

function startEarly(name: string, start: () => Promise<Started>): void {
  const started = start();
  // Reported by the suite that awaits it.
  started.catch(() => {});
  starting.set(name, started);
}

function started(name: string): Promise<Started> {
  const startup = starting.get(name);
  if (!startup) throw new Error(`nothing started as ${name}`);
  return startup;
}

/** Closes what `name` started, once; nothing when it failed to start. */
function closeStarted(name: string): Promise<void> {
  let closed = closing.get(name);
  if (!closed) {
    closed = started(name).then(
      (s) => s.close(),
      () => {},
    );
    closing.set(name, closed);
  }
  return closed;
}

/** A gpuops on the embedded database, in a data folder whose database is already migrated. */
async function startOnEmbedded(options: Omit<Parameters<typeof startTestGpuops>[0], 'db'>): Promise<Started> {
  const dataDir = await seededDataDir();
  try {
    const g = await startTestGpuops({
      ...options,
      db: 'pglite',
      env: { ...options.env, GPUOPS_DATA_DIR: dataDir },
    });
    return {
      g,
      async close() {
        await g.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

const DASHBOARD = 'the queue dashboard';
const READINESS = 'readiness when the queue or the database goes down';
let ownRedis: RestartableRedis | undefined;

beforeAll(async () => {
  for (const backend of testBackends) {
    const env = { GPUOPS_PROVIDER_RETRIES: '0' };
    startEarly(backend.name, async () => {
      if (backend.db === 'pglite') return startOnEmbedded({ queue: backend.queue, env });
      const g = await startTestGpuops({ db: backend.db, queue: backend.queue, env });
      return { g, close: () => g.close() };
    });
  }
  startEarly(READINESS, async () => {
    const redis = await startRestartableRedis();
    ownRedis = redis;
    try {
      const g = await startTestGpuops({ db: 'postgres', queue: 'redis', env: { REDIS_URL: redis.url } });
      return { g, close: () => g.close() };
    } catch (err) {
      await redis.kill();
      throw err;
    }
  });
  startEarly(DASHBOARD, () =>
    startOnEmbedded({
      queue: 'postgres',
      env: { GPUOPS_DASHBOARD_USER: 'ops', GPUOPS_DASHBOARD_PASSWORD: 'hunter2-but-longer' },
    }),
  );
  // Every start-up over before any suite runs: none competes with a test's timing.
  await Promise.allSettled(starting.values());
  // The four start-ups each had a hook's time (60 s) of their own when each suite started its own.
}, 240_000);
afterAll(async () => {
  // What a suite that did not run (filtered out, or failed) left open.
  await Promise.all([...starting.keys()].map(closeStarted));
  await ownRedis?.kill();
});

describe.each(testBackends)('the service endpoints, on $name', (backend) => {
  let g: TestGpuops;
  let http: HttpServer;

  beforeAll(async () => {
    ({ g } = await started(backend.name));
    http = await startHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await resetFailures(g.sim);
  });
  afterAll(async () => {
    await http?.close();
    await closeStarted(backend.name);
  });

  it('says it is alive on /healthz', async () => {
    const response = await fetch(`${http.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', role: 'all' });
  });

  it('is ready on /readyz when the database, the queue and the marketplace answer, each with its state', async () => {
    const response = await fetch(`${http.url}/readyz`);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks)).toEqual(['database', 'queue', 'marketplace']);
    for (const check of Object.values(body.checks)) expect(check.ok).toBe(true);
    expect(body.checks.marketplace!.detail).toMatch(/\d+ instances on the account/);
  });

  it('is not ready, naming the marketplace and why, while the marketplace fails', async () => {
    await failNext(g.sim, { endpoint: 'list', status: 503, count: 5 });
    const response = await fetch(`${http.url}/readyz`);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { ok: boolean; error?: string }>;
    };
    expect(response.status).toBe(503);
    expect(body.status).toBe('not ready');
    expect(body.checks.marketplace).toMatchObject({ ok: false, error: expect.stringContaining('503') });
    expect(body.checks.database!.ok).toBe(true);
  });

  it('counts on /metrics what an operation did: started, finished, provider calls, chat messages, the instance and its cost', async () => {
    const before = await (await fetch(`${http.url}/metrics`)).text();
    const started = sample(before, 'gpuops_operations_started_total{kind="deploy"}') ?? 0;
    await g.say('deploy a 3090');
    const response = await fetch(`${http.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(sample(text, 'gpuops_operations_started_total{kind="deploy"}')).toBe(started + 1);
    expect(
      sample(text, 'gpuops_operations_finished_total{kind="deploy",outcome="succeeded"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'gpuops_operation_duration_seconds_count{kind="deploy",outcome="succeeded"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gpuops_job_latency_seconds_count{kind="deploy"}')).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'gpuops_provider_requests_total{op="createInstance",status="200"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'gpuops_chat_messages_total{platform="recording",kind="progress"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gpuops_chat_edits_total{platform="recording"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gpuops_instances_running')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gpuops_instances_cost_per_hour_dollars')).toBeGreaterThan(0);
    expect(text).toMatch(/^gpuops_queue_jobs\{state="waiting"\} \d+$/m);
    expect(text).toMatch(/^gpuops_process_resident_memory_bytes \d+/m);
  });

  it('counts provider errors by call and code', async () => {
    await failNext(g.sim, { endpoint: 'list', status: 502, count: 1 });
    await g.say('list my instances');
    const text = await (await fetch(`${http.url}/metrics`)).text();
    expect(
      sample(text, 'gpuops_provider_requests_total{op="listInstances",status="502"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'gpuops_provider_errors_total{op="listInstances",code="provider_unavailable"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('has no queue dashboard unless a password is set', async () => {
    expect((await fetch(`${http.url}/admin/queues`)).status).toBe(404);
  });
});

describe(READINESS, () => {
  let redis: RestartableRedis;
  let g: TestGpuops;
  let http: HttpServer;
  let clientsBefore: RedisClients | undefined;

  beforeAll(async () => {
    ({ g } = await started(READINESS));
    redis = ownRedis!;
    http = await startHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
    clientsBefore = await redis.clients();
  });
  afterAll(async () => {
    await http?.close();
    // Redis back (empty) and gpuops's clients reconnected before it closes: they then close at
    // once, where against a dead Redis each would wait out the runtime's close timeout.
    await redis?.restart();
    if (clientsBefore) await redis.awaitClients(clientsBefore);
    await closeStarted(READINESS);
    await redis?.kill();
  });

  it('reports the queue down, within the check timeout, while the rest stays up', async () => {
    await redis.kill();
    const started = Date.now();
    const response = await fetch(`${http.url}/readyz`);
    const body = (await response.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.status).toBe(503);
    expect(body.checks.queue!.ok).toBe(false);
    expect(body.checks.database!.ok).toBe(true);
    expect(body.checks.marketplace!.ok).toBe(true);
    // Alive all the same: a restart would not bring Redis back.
    expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
  });

  it('reports the database down when it refuses connections', async () => {
    const db = g.runtime.database.db;
    const name = (
      await db
        .selectNoFrom((eb) => eb.fn<string>('current_database', []).as('name'))
        .executeTakeFirstOrThrow()
    ).name;
    const { default: pg } = await import('pg');
    const { TEST_POSTGRES_ADMIN_URL } = await import('../support/index.ts');
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      const response = await fetch(`${http.url}/readyz`);
      const body = (await response.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
      expect(response.status).toBe(503);
      expect(body.checks.database!.ok).toBe(false);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
    }
  });
});

describe(DASHBOARD, () => {
  let g: TestGpuops;
  let http: HttpServer;
  beforeAll(async () => {
    ({ g } = await started(DASHBOARD));
    http = await startHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await http?.close();
    await closeStarted(DASHBOARD);
  });

  it('asks for a login, refuses a wrong one, and shows the operations queue with the right one', async () => {
    const anonymous = await fetch(`${http.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    const wrong = await fetch(`${http.url}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from('ops:hunter2-but-longer').toString('base64')}` };
    const page = await fetch(`${http.url}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const queues = await fetch(`${http.url}/admin/queues/api/queues`, { headers: auth });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: Array<{ name: string }> };
    expect(body.queues.map((q) => q.name)).toContain('operations');
  });
});
