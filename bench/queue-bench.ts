/**
 * Jobs per second through the operation queue against the simulated marketplace, with 1 and 2
 * worker processes (`gpuops worker`), and the queue's own overhead per job (no-op jobs).
 *
 * Each operation is a deploy, the heaviest job:
 * market search, rent, poll until running, SSH health check, rows and audit. The simulator runs
 * with no delays (time scale 0) so the figures measure gpuops, not simulated boot times.
 *
 *   npx tsx bench/queue-bench.ts [--jobs 60] [--noop 500]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { openDatabase } from '../db/database.ts';
import { deploymentId } from '../db/repositories/deployment.ts';
import { startSimulator } from '../src/cloud/sim/index.ts';
import { loadConfig } from '../src/config.ts';
import { resolveQueueBackend } from '../src/jobs/queue/backend.ts';
import { JobWatcher } from '../src/jobs/queue/job-watcher.ts';
import { OperationQueue } from '../src/jobs/queue/operation-queue.ts';
import { silentLogger } from '../src/log.ts';
import { GPUOPS_DEV_BIN } from '../tests/support/cli.ts';
import { freshPostgresDatabase } from '../tests/support/postgres.ts';
import { option, summarize } from './stats.ts';

const jobs = option('jobs', 60);
const noopJobs = option('noop', 500);

async function noopOverhead(kind: 'redis' | 'postgres-pglite' | 'postgres'): Promise<string> {
  const pg = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
  const database = await openDatabase({ ...(pg && { databaseUrl: pg.url }) });
  const prefix = `bench-noop-${Date.now().toString(36)}`;
  const backend = await resolveQueueBackend({
    choice: kind === 'redis' ? 'redis' : 'postgres',
    redisUrl: 'redis://127.0.0.1:6379',
    database,
    prefix,
    logger: silentLogger,
  });
  const queue = new backend.Queue('noop', { connection: backend.connection, prefix });
  const latencies: number[] = [];
  let done = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  const worker = new backend.Worker(
    'noop',
    async (job) => {
      latencies.push(Date.now() - (job.data as { at: number }).at);
      if (++done === noopJobs) resolveAll();
    },
    { connection: backend.connection, prefix, concurrency: 1, ...backend.workerDefaults },
  );
  await worker.waitUntilReady();
  const started = performance.now();
  for (let i = 0; i < noopJobs; i++) await queue.add('noop', { at: Date.now() });
  await all;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await backend.close();
  await database.close();
  await pg?.drop();
  const s = summarize(latencies);
  return `queue-overhead[${kind}]: ${noopJobs} no-op jobs in ${seconds.toFixed(2)}s = ${(noopJobs / seconds).toFixed(0)} jobs/s, ${((seconds * 1000) / noopJobs).toFixed(2)} ms/job; add-to-start median=${s.median}ms p99=${s.p99}ms`;
}

async function throughput(workers: number, concurrency: number): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-qbench-'));
  const sim = await startSimulator({ timeScale: 0, offers: 4_000 });
  const pg = await freshPostgresDatabase();
  const prefix = `bench-ops-${Date.now().toString(36)}`;
  const env = {
    GPUOPS_DATA_DIR: dataDir,
    DATABASE_URL: pg.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    GPUOPS_QUEUE_PREFIX: prefix,
    VAST_BASE_URL: sim.url,
    VAST_API_KEY: 'bench',
    GPUOPS_POLL_INTERVAL_MS: '20',
    GPUOPS_WORKER_CONCURRENCY: String(concurrency),
    PORT: '0',
    LOG_LEVEL: 'warn',
    GPUOPS_LOG_FILE: '-',
  };
  const config = loadConfig(env);
  const database = await openDatabase({ databaseUrl: pg.url });
  const backend = await resolveQueueBackend({
    choice: 'redis',
    redisUrl: env.REDIS_URL,
    database,
    prefix,
    logger: silentLogger,
  });
  const operations = new OperationQueue(
    backend,
    database.db,
    config,
    silentLogger,
    await deploymentId(database.db),
  );
  const watcher = new JobWatcher(backend, database.db, silentLogger, 500);
  await watcher.waitUntilReady();
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      const child = spawn(process.execPath, [GPUOPS_DEV_BIN, 'worker'], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      children.push(child);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    }
    const context = { user: 'bench', channel: 'bench', replyTo: { surface: 'bench', channel: 'bench' } };
    const gpus = ['rtx-4090', 'rtx-3090', 'a100-80gb', 'rtx-a6000', 'rtx-5090', 'l40s'];
    const started = performance.now();
    const refs = [];
    for (let i = 0; i < jobs; i++) {
      refs.push(
        await operations.enqueue({
          kind: 'deploy',
          args: { gpu: gpus[i % gpus.length]!, count: 1, image: 'pytorch/pytorch:latest', disk_gb: 20 },
          context,
        }),
      );
    }
    const finals = await Promise.all(refs.map((r) => watcher.watch(r.operationId)));
    const seconds = (performance.now() - started) / 1000;
    const failed = finals.filter((f) => f.state !== 'succeeded').length;
    const durations = summarize(finals.map((f) => f.elapsedMs ?? 0));
    return `operations[${workers} worker${workers > 1 ? 's' : ''} x concurrency ${concurrency}]: ${jobs} deploys in ${seconds.toFixed(2)}s = ${(jobs / seconds).toFixed(1)} jobs/s, ${failed} failed; per-job median=${durations.median}ms p99=${durations.p99}ms`;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
    await watcher.close();
    await operations.close();
    await backend.close();
    await database.close();
    await sim.close();
    await pg.drop();
    const redis = new Redis(env.REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  }
}

for (const kind of ['redis', 'postgres', 'postgres-pglite'] as const) console.log(await noopOverhead(kind));
console.log(await throughput(1, 1));
console.log(await throughput(2, 1));
console.log(await throughput(1, 4));
console.log(await throughput(2, 4));
process.exit(0);
