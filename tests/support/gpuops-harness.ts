import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getInstance } from '../../db/repositories/instances.ts';
import type { AgentModel } from '../../src/agent/agent-model.ts';
import type { FollowedRequest } from '../../src/bots/chat-requests.ts';
import type { Simulator } from '../../src/cloud/sim/index.ts';
import { sshExec } from '../../src/cloud/ssh/ssh-client.ts';
import { loadConfig } from '../../src/config.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import type { WorkerServices } from '../../src/jobs/queue/job-context.ts';
import type { ProgressView } from '../../src/jobs/queue/progress.ts';
import { silentLogger } from '../../src/log.ts';
import { type Role, type Runtime, startRuntime } from '../../src/runtime.ts';
import { dropRedisPrefix, freshPostgresDatabase, uniquePrefix } from './index.ts';
import { RecordingSurface } from './recording-surface.ts';
import { startTestSimulator } from './simulator.ts';

export interface HarnessOptions {
  db: 'postgres' | 'pglite';
  queue: 'redis' | 'postgres';
  model?: AgentModel;
  role?: Role;
  /** Reuse a simulator (and its failure injection) instead of starting one. */
  sim?: Simulator;
  env?: Record<string, string>;
}

/** A gpuops in this process against a marketplace it did not start. */
export interface GpuopsUnderTest {
  runtime: Runtime;
  surface: RecordingSurface;
  context: RequestContext;
  env: Record<string, string>;
  /** Sends one chat line as the test user and waits for the jobs it starts to end. */
  say(text: string, opts?: { confirm?: boolean }): Promise<FollowedRequest>;
  /** Says `text`, which must start one operation, and returns how it ended. */
  follow(text: string, opts?: { confirm?: boolean }): Promise<ProgressView>;
  /** Deploys as asked and returns the instance's number (i-N); fails the test if the deploy fails. */
  deploy(text: string): Promise<number>;
  /** Runs a command on instance i-N over SSH with gpuops's key; fails the test on a non-zero exit. */
  ssh(instance: number, command: string): Promise<string>;
  /** What the workers run with, for tests that drive a scheduled pass by hand. */
  workerServices(): WorkerServices;
  close(): Promise<void>;
}

export interface TestGpuops extends GpuopsUnderTest {
  sim: Simulator;
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
  const simDataDir = options.sim ? undefined : await mkdtemp(path.join(tmpdir(), 'gpuops-e2e-sim-'));
  const sim = options.sim ?? (await startTestSimulator({ dataDir: simDataDir }));
  try {
    const g = await startGpuopsOn(sim.url, options);
    return {
      ...g,
      sim,
      async close() {
        await g.close();
        if (simDataDir) {
          await sim.close();
          await rm(simDataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (simDataDir) await sim.close();
    throw err;
  }
}

/**
 * gpuops (database, queue, worker, agent) in this process, renting from the marketplace at
 * `vastBaseUrl`, e.g. a `gpuops sim` started as a process of its own. `baseEnv` replaces FAST_ENV
 * (a test of the defaults leaves out what it must not set).
 */
export async function startGpuopsOn(
  vastBaseUrl: string,
  options: Omit<HarnessOptions, 'sim'> & { baseEnv?: Record<string, string> },
): Promise<GpuopsUnderTest> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-e2e-'));
  // A gpuops sharing another's database (a second process of one deployment) makes none of its own.
  const pg =
    options.db === 'postgres' && !options.env?.DATABASE_URL ? await freshPostgresDatabase() : undefined;
  const env: Record<string, string> = {
    ...(options.baseEnv ?? FAST_ENV),
    GPUOPS_DATA_DIR: dataDir,
    GPUOPS_QUEUE_BACKEND: options.queue,
    GPUOPS_QUEUE_PREFIX: uniquePrefix(),
    VAST_BASE_URL: vastBaseUrl,
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
  const g: GpuopsUnderTest = {
    runtime,
    surface,
    context,
    env,
    async say(text, opts = {}) {
      if (opts.confirm !== undefined) surface.confirmations.push(opts.confirm);
      const handled = await runtime.chat!.handle(text, context, surface);
      await Promise.all(handled.jobs);
      return handled;
    },
    async follow(text, opts = {}) {
      const handled = await g.say(text, opts);
      const [final] = await Promise.all(handled.jobs);
      if (!final) {
        const said = surface.errors().map((e) => e.text);
        throw new Error(`"${text}" started no operation${said.length > 0 ? `: ${said.join(' | ')}` : ''}`);
      }
      return final;
    },
    async deploy(text) {
      const final = await g.follow(text);
      if (final.state !== 'succeeded')
        throw new Error(`"${text}" ended ${final.state}: ${final.error?.message}`);
      return Number(final.result!.instance.slice(2));
    },
    async ssh(instance, command) {
      const row = await getInstance(runtime.database.db, instance);
      if (!row?.ssh_host || !row.ssh_port)
        throw new Error(`i-${instance} has no SSH address (${row?.state})`);
      const result = await sshExec(
        { host: row.ssh_host, port: row.ssh_port, privateKey: runtime.sshKey.privateKey },
        command,
      );
      if (result.code !== 0)
        throw new Error(`"${command}" on i-${instance} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    },
    workerServices() {
      return {
        config: runtime.config,
        db: runtime.database.db,
        provider: runtime.provider,
        sshKey: runtime.sshKey,
        log: runtime.log,
        deploymentId: runtime.deploymentId,
        ...(runtime.snapshots && { snapshots: runtime.snapshots }),
      };
    },
    async close() {
      await runtime.close();
      if (runtime.queueBackend.kind === 'redis') await dropRedisPrefix(runtime.queueBackend.prefix);
      await pg?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return g;
}
