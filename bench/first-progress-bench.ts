/**
 * Chat line to the first progress message, with the offline planner: the time from a deploy
 * request entering the agent to the moment its progress message is posted (planning, schema
 * validation, the market pre-check against the simulator, the operation row, the queue add).
 * Runs the bot role only, so no worker competes for the CPU; the queued jobs are discarded.
 *
 *   npx tsx bench/first-progress-bench.ts [--n 200] [--queue redis|postgres]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { ChatSurface, MessageRef, OutgoingMessage } from '../src/agent/chat-surface.ts';
import { startSimulator } from '../src/cloud/sim/index.ts';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';
import { startRuntime } from '../src/runtime.ts';
import { freshPostgresDatabase } from '../tests/support/postgres.ts';
import { option, summarize } from './stats.ts';

const n = option('n', 200);
const queueArg = process.argv.includes('--queue')
  ? process.argv[process.argv.indexOf('--queue') + 1]
  : 'redis';
const queue = queueArg === 'postgres' ? 'postgres' : 'redis';
const GPUS = ['4090', 'rtx 3090', 'A100 80GB', 'h100 sxm', 'L40S', 'a6000', '5090', 'A100', '4080', 'L4'];

class FirstProgressSurface implements ChatSurface {
  readonly name = 'bench';
  firstProgressAt: number | undefined;
  async post(message: OutgoingMessage): Promise<MessageRef> {
    if (message.kind === 'progress' && this.firstProgressAt === undefined)
      this.firstProgressAt = performance.now();
    if (message.kind === 'error') throw new Error(message.text);
    return { id: 'm' };
  }
  async update(): Promise<void> {}
  async confirm(): Promise<boolean> {
    return true;
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-bench-'));
const sim = await startSimulator({ timeScale: 1, offers: 2_400 });
const pg = queue === 'redis' ? await freshPostgresDatabase() : undefined;
const prefix = `bench-${Date.now().toString(36)}`;
const runtime = await startRuntime(
  loadConfig({
    GPUOPS_DATA_DIR: dataDir,
    VAST_BASE_URL: sim.url,
    VAST_API_KEY: 'bench',
    GPUOPS_QUEUE_BACKEND: queue,
    GPUOPS_QUEUE_PREFIX: prefix,
    GPUOPS_OFFLINE: 'true',
    LOG_LEVEL: 'silent',
    ...(pg && { DATABASE_URL: pg.url }),
  }),
  { role: 'bot', logger: silentLogger },
);
const context = { user: 'bench', channel: 'bench', replyTo: { surface: 'bench', channel: 'bench' } };

try {
  const samples: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const surface = new FirstProgressSurface();
    const text = `deploy a ${GPUS[i % GPUS.length]} under $${(3 + (i % 5)).toFixed(2)}/hr`;
    const started = performance.now();
    // The job is followed in the background; only the moment its message appears matters here.
    void runtime.chat!.handle(text, context, surface);
    while (surface.firstProgressAt === undefined) await new Promise((r) => setImmediate(r));
    if (i >= 20) samples.push(surface.firstProgressAt - started);
  }
  const s = summarize(samples);
  console.log(
    `first-progress: n=${s.n} median=${s.median.toFixed(2)}ms p99=${s.p99.toFixed(2)}ms mean=${s.mean.toFixed(2)}ms (${runtime.describe()})`,
  );
} finally {
  await runtime.close();
  await sim.close();
  if (queue === 'redis') {
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  await pg?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(0);
