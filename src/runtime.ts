import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { type DatabaseHandle, openDatabase } from '../db/database.ts';
import { deploymentId as readDeploymentId } from '../db/repositories/deployment.ts';
import { Agent } from './agent/agent.ts';
import type { AgentModel } from './agent/agent-model.ts';
import { createModel } from './agent/create-model.ts';
import { ChatRequests } from './bots/chat-requests.ts';
import { NoticeFeed } from './bots/notice-feed.ts';
import { OperationFollower } from './bots/operation-follower.ts';
import type { GpuProvider } from './cloud/provider.ts';
import { type Simulator, startSimulator } from './cloud/sim/index.ts';
import { loadOrCreateKeyPair, type SshKeyPair } from './cloud/ssh/ssh-keys.ts';
import type { ObjectStore } from './cloud/storage/object-store.ts';
import { VastProvider } from './cloud/vast/vast-provider.ts';
import type { Config } from './config.ts';
import { type OperationWorker, startOperationWorker } from './jobs/operations/operation-worker.ts';
import { gcpStandbyServices } from './jobs/operations/standby-services.ts';
import { type QueueBackend, resolveQueueBackend } from './jobs/queue/backend.ts';
import type { SnapshotServices } from './jobs/queue/job-context.ts';
import { JobWatcher } from './jobs/queue/job-watcher.ts';
import { OperationQueue } from './jobs/queue/operation-queue.ts';
import { type HealthMonitorHandle, startHealthMonitor } from './jobs/upkeep/health-monitor.ts';
import { type IdleCheckHandle, startIdleCheck } from './jobs/upkeep/idle-check.ts';
import { type ReconcilerHandle, startReconciler } from './jobs/upkeep/reconciler.ts';
import {
  type SnapshotMaintenanceHandle,
  startSnapshotMaintenance,
} from './jobs/upkeep/snapshot-maintenance.ts';
import { type StandbySyncHandle, startStandbySync } from './jobs/upkeep/standby-sync-pass.ts';
import { createLogger } from './log.ts';
import type { ToolServices } from './tools/tool.ts';

export type Role = 'bot' | 'worker' | 'all';

/** How long each part may take to close before shutdown moves on without it. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Everything one gpuops process runs, wired from the configuration. */
export interface Runtime {
  config: Config;
  role: Role;
  log: Logger;
  database: DatabaseHandle;
  queueBackend: QueueBackend;
  provider: GpuProvider;
  /** Present when no marketplace URL was configured and the simulated market runs in-process. */
  simulator: Simulator | undefined;
  sshKey: SshKeyPair;
  /** This deployment's id: shared by every process on the same database. */
  deploymentId: string;
  operations: OperationQueue;
  worker: OperationWorker | undefined;
  /** The workers' snapshot storage (absent in a bot-only process). */
  snapshots: SnapshotServices | undefined;
  watcher: JobWatcher | undefined;
  /** What the reconciler and failed jobs have to tell channels, for the chats of this process. */
  notices: NoticeFeed | undefined;
  /** Requests from any chat: the agent's answers, with the operations they start followed. */
  chat: ChatRequests | undefined;
  /** One line a person can read: which database, queue, market and model are in use. */
  describe(): string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  role: Role;
  logger?: Logger;
  /** Replaces the configured model (tests drive the agent with their own). */
  model?: AgentModel;
}

export interface Market {
  provider: GpuProvider;
  /** Present when no marketplace URL was configured and the simulated market runs in-process. */
  simulator: Simulator | undefined;
  baseUrl: string;
  close(): Promise<void>;
}

/** The marketplace gpuops talks to: vast.ai (or any URL speaking its API), else the in-process simulator. */
export async function startMarket(
  config: Config,
  log: Logger,
  options: { persist?: boolean } = {},
): Promise<Market> {
  let simulator: Simulator | undefined;
  let baseUrl = config.vast.baseUrl;
  if (!baseUrl) {
    simulator = await startSimulator({
      host: config.sim.host,
      port: config.sim.port,
      seed: config.sim.seed,
      offers: config.sim.offers,
      timeScale: config.sim.timeScale,
      // A read-only look at the market (gpuops advise) must not write over the state of a chat
      // that may be running on the same data folder.
      ...(options.persist !== false && { dataDir: path.join(config.dataDir, 'sim') }),
      logger: log.child({ component: 'sim' }),
    });
    baseUrl = simulator.url;
  }
  const provider = new VastProvider({
    baseUrl,
    apiKey: config.vast.apiKey ?? 'local-simulator',
    timeoutMs: config.vast.timeoutMs,
    retries: config.vast.retries,
    logger: log.child({ component: 'vast' }),
  });
  return { provider, simulator, baseUrl, close: async () => simulator?.close() };
}

/**
 * The queue's Redis key prefix when none is configured: this deployment's own, so two gpuops
 * deployments on one Redis never see each other's jobs, while every process of one deployment
 * (they share its database) lands on the same queue.
 */
export function defaultQueuePrefix(deploymentId: string): string {
  return `gpuops-${deploymentId.slice(0, 12)}`;
}

/**
 * Snapshot storage for the workers: the configured S3-compatible service, or a local one over the
 * data folder, either made on the first snapshot job. Instances keep their work in /workspace on
 * vast.ai's images; on the simulated marketplace, in the folder their SSH sessions start in.
 */
export function snapshotStorage(
  config: Config,
  inProcessMarket: boolean,
): { services: SnapshotServices; close(): Promise<void> } {
  let opened: Promise<{ store: ObjectStore; local?: { close(): Promise<void> } }> | undefined;
  const open = async () => {
    const { ObjectStore } = await import('./cloud/storage/object-store.ts');
    const s = config.storage;
    if (s.endpoint) return { store: new ObjectStore({ ...s, endpoint: s.endpoint }) };
    const { startLocalS3, LOCAL_S3_CREDENTIALS } = await import('./cloud/storage/local-s3.ts');
    const local = await startLocalS3(path.join(config.dataDir, 's3'), s.bucket);
    const store = new ObjectStore({
      ...s,
      endpoint: local.endpoint,
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
    return { store, local };
  };
  return {
    services: {
      workspaceDir: config.workspaceDir ?? (inProcessMarket ? '.' : '/workspace'),
      async store() {
        opened ??= open();
        return (await opened).store;
      },
    },
    async close() {
      // A store that failed to open has nothing to close; whoever opened it was given the error.
      const made = await opened?.catch(() => undefined);
      made?.store.close();
      await made?.local?.close();
    },
  };
}

export async function startRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  await mkdir(config.dataDir, { recursive: true });
  const log = options.logger ?? createLogger({ logLevel: config.logLevel, logFile: config.logFile });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      // A client whose server is gone (Redis down) can wait forever to close; shutting down must not.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
      });
      try {
        const outcome = await Promise.race([close().then(() => 'closed' as const), gaveUp]);
        if (outcome === 'timeout')
          log.warn({ ms: CLOSE_TIMEOUT_MS }, 'a component did not close in time; moving on');
      } catch (err) {
        log.warn({ err }, 'error while shutting down');
      } finally {
        clearTimeout(timer);
      }
    }
  };

  try {
    const database = await openDatabase({
      ...(config.databaseUrl && { databaseUrl: config.databaseUrl }),
      dataDir: config.dataDir,
      logger: log,
    });
    closers.push(() => database.close());

    const market = await startMarket(config, log);
    closers.push(market.close);
    const { provider, simulator, baseUrl } = market;

    const sshKey = await loadOrCreateKeyPair(config.sshKeyPath);
    if (options.role !== 'bot') await provider.registerSshKey(sshKey.publicKey);

    const deploymentId = await readDeploymentId(database.db);
    const queueBackend = await resolveQueueBackend({
      choice: config.queueBackend,
      ...(config.redisUrl && { redisUrl: config.redisUrl }),
      database,
      prefix: config.queuePrefix ?? defaultQueuePrefix(deploymentId),
      logger: log,
    });
    closers.push(() => queueBackend.close());

    const operations = new OperationQueue(queueBackend, database.db, config, log, deploymentId);
    closers.push(() => operations.close());

    let worker: OperationWorker | undefined;
    let snapshots: SnapshotServices | undefined;
    if (options.role !== 'bot') {
      const storage = snapshotStorage(config, simulator !== undefined);
      snapshots = storage.services;
      closers.push(() => storage.close());
      // CPU standby on GCP, when configured; the Compute client is made at its first use.
      const gcp = config.gcp ? gcpStandbyServices(config.gcp, log.child({ component: 'gcp' })) : undefined;
      if (gcp) closers.push(() => gcp.close());
      const services = {
        ...(gcp && { standby: gcp.services }),
        config,
        db: database.db,
        provider,
        sshKey,
        log,
        deploymentId,
        snapshots: storage.services,
      };
      worker = startOperationWorker(queueBackend, services);
      closers.push(() => worker!.close());
      const reconciler: ReconcilerHandle | undefined = await startReconciler(queueBackend, services);
      if (reconciler) closers.push(() => reconciler.close());
      const idleCheck: IdleCheckHandle | undefined = await startIdleCheck(queueBackend, {
        ...services,
        operations,
      });
      if (idleCheck) closers.push(() => idleCheck.close());
      const snapshotTick: SnapshotMaintenanceHandle | undefined = await startSnapshotMaintenance(
        queueBackend,
        services,
        operations,
      );
      if (snapshotTick) closers.push(() => snapshotTick.close());
      const health: HealthMonitorHandle | undefined = await startHealthMonitor(
        queueBackend,
        services,
        operations,
      );
      if (health) closers.push(() => health.close());
      const standbySync: StandbySyncHandle | undefined = await startStandbySync(queueBackend, services);
      if (standbySync) closers.push(() => standbySync.close());
    }

    let watcher: JobWatcher | undefined;
    let notices: NoticeFeed | undefined;
    let chat: ChatRequests | undefined;
    const model = options.model ?? (await createModel(config));
    if (options.role !== 'worker') {
      const jobWatcher = new JobWatcher(queueBackend, database.db, log);
      watcher = jobWatcher;
      const follower = new OperationFollower(database.db, jobWatcher, log, {
        progressIntervalMs: config.progressIntervalMs,
      });
      // No message is taken over while shutting down; the watcher gives each followed message its
      // last word, and the follower's last edits and lease releases land before the database closes.
      closers.push(async () => {
        follower.close();
        await jobWatcher.close();
        await follower.drain();
      });
      await jobWatcher.waitUntilReady();
      notices = new NoticeFeed(database.db, log);
      closers.push(async () => notices!.close());
      const services: ToolServices = { config, db: database.db, provider, operations, log };
      chat = new ChatRequests(new Agent(model, services), follower, database.db, log);
    }

    log.info(
      { role: options.role, db: database.kind, queue: queueBackend.kind, market: baseUrl },
      'gpuops started',
    );
    return {
      config,
      role: options.role,
      log,
      database,
      queueBackend,
      provider,
      simulator,
      sshKey,
      deploymentId,
      operations,
      worker,
      snapshots,
      watcher,
      notices,
      chat,
      describe: () =>
        [
          `database: ${database.kind === 'pglite' ? `embedded PGlite (${path.join(config.dataDir, 'pglite')})` : 'Postgres'}`,
          `queue: ${queueBackend.describe}`,
          `market: ${simulator ? `simulated marketplace at ${simulator.url}` : `vast.ai API at ${baseUrl}`}`,
          `model: ${model.name}`,
          `role: ${options.role}`,
        ].join(' · '),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
