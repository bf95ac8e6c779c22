import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentModel } from '../../src/agent/agent-model.ts';
import type { FollowedRequest } from '../../src/bots/chat-requests.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { type Role, type Runtime, startRuntime } from '../../src/runtime.ts';
import type { RequestContext } from '../../src/tools/tool.ts';
import { dropRedisPrefix, freshPostgresDatabase, uniquePrefix } from './index.ts';
import { RecordingSurface } from './recording-surface.ts';

export interface HarnessOptions {
  db: 'postgres' | 'pglite';
  queue: 'redis' | 'postgres';
  model?: AgentModel;
  role?: Role;
  /** Reuse a simulator (and its failure injection) instead of starting one. */
  sim?: Simulator;
  env?: Record<string, string>;
}

export interface TestGpuops {
  runtime: Runtime;
  sim: Simulator;
  surface: RecordingSurface;
  context: RequestContext;
  env: Record<string, string>;
  /** Sends one chat line as the test user and waits for the jobs it starts to end. */
  say(text: string, opts?: { confirm?: boolean }): Promise<FollowedRequest>;
  close(): Promise<void>;
}

/** Fast settings: the simulator at 1% of real delays, short polls and short job locks. */
export const FAST_ENV = {
  GPUOPS_POLL_INTERVAL_MS: '40',
  GPUOPS_PROGRESS_INTERVAL_MS: '100',
  GPUOPS_JOB_LOCK_MS: '5000',
  GPUOPS_PROVIDER_TIMEOUT_MS: '5000',
  GPUOPS_DEPLOY_TIMEOUT_MS: '30000',
  LOG_LEVEL: 'silent',
  // Worker processes a test starts each run their own HTTP server: any free port.
  PORT: '0',
  // The simulator's instances keep their workspace in the folder SSH sessions start in.
  GPUOPS_WORKSPACE_DIR: '.',
} as const;

/** A whole gpuops (database, queue, simulator, worker, agent) in this process, on loopback. */
export async function startTestGpuops(options: HarnessOptions): Promise<TestGpuops> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-e2e-'));
  // A gpuops sharing another's database (a second process of one deployment) makes none of its own.
  const pg =
    options.db === 'postgres' && !options.env?.DATABASE_URL ? await freshPostgresDatabase() : undefined;
  const ownSim = !options.sim;
  const sim =
    options.sim ??
    (await startSimulator({ timeScale: 0.01, offers: 2_400, dataDir: path.join(dataDir, 'sim') }));
  const env: Record<string, string> = {
    ...FAST_ENV,
    GPUOPS_DATA_DIR: dataDir,
    GPUOPS_QUEUE_BACKEND: options.queue,
    GPUOPS_QUEUE_PREFIX: uniquePrefix(),
    VAST_BASE_URL: sim.url,
    VAST_API_KEY: 'test-key',
    GPUOPS_OFFLINE: options.model ? 'false' : 'true',
    ...(pg && { DATABASE_URL: pg.url }),
    ...(options.queue === 'redis' && { REDIS_URL: 'redis://127.0.0.1:6379' }),
    ...options.env,
  };
  const runtime = await startRuntime(loadConfig(env), {
    role: options.role ?? 'all',
    logger: silentLogger,
    ...(options.model && { model: options.model }),
  });
  const surface = new RecordingSurface();
  const context: RequestContext = {
    user: 'alice',
    channel: 'team-ml',
    replyTo: { surface: 'test', channel: 'team-ml' },
  };
  return {
    runtime,
    sim,
    surface,
    context,
    env,
    async say(text, opts = {}) {
      if (opts.confirm !== undefined) surface.confirmations.push(opts.confirm);
      const handled = await runtime.chat!.handle(text, context, surface);
      await Promise.all(handled.jobs);
      return handled;
    },
    async close() {
      await runtime.close();
      if (runtime.queueBackend.kind === 'redis') await dropRedisPrefix(runtime.queueBackend.prefix);
      if (ownSim) await sim.close();
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
