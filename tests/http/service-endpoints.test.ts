import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failNext, resetFailures } from '../../src/cloud/sim/admin-client.ts';
import { type HttpServer, startHttpServer } from '../../src/http/server.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { testBackends } from '../support/index.ts';
import { type OwnRedis, startOwnRedis } from '../support/redis-server.ts';

/** The value of one sample in Prometheus text, e.g. `gpuops_operations_started_total{kind="deploy"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(testBackends)('the service endpoints, on $name', (backend) => {
  let g: TestGpuops;
  let http: HttpServer;

  beforeAll(async () => {
    g = await startTestGpuops({
      db: backend.db,
      queue: backend.queue,
      env: { GPUOPS_PROVIDER_RETRIES: '0' },
    });
    http = await startHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await resetFailures(g.sim);
  });
  afterAll(async () => {
    await http?.close();
    await g?.close();
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

describe('readiness when the queue or the database goes down', () => {
  let redis: OwnRedis;
  let g: TestGpuops;
  let http: HttpServer;

  beforeAll(async () => {
    redis = await startOwnRedis();
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', env: { REDIS_URL: redis.url } });
    http = await startHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await http?.close();
    await redis?.kill();
    await g?.close();
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

describe('the queue dashboard', () => {
  let g: TestGpuops;
  let http: HttpServer;
  beforeAll(async () => {
    g = await startTestGpuops({
      db: 'pglite',
      queue: 'postgres',
      env: { GPUOPS_DASHBOARD_USER: 'ops', GPUOPS_DASHBOARD_PASSWORD: 'hunter2-but-longer' },
    });
    http = await startHttpServer(g.runtime, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await http?.close();
    await g?.close();
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
