import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { QueueBackend } from '../queue/backend.ts';

/**
 * gpuops's periodic work (the reconciler, the health monitor, the idle check, snapshot schedules,
 * standby syncs): each on a queue of its own, so a slow pass never delays another, driven by a
 * BullMQ job scheduler so that one worker of the deployment runs each pass, however many run.
 */

export interface ScheduledPassHandle {
  close(): Promise<void>;
}

export async function startScheduledPass<T>(
  backend: QueueBackend,
  pass: {
    queue: string;
    /** The scheduler's and its jobs' name (the scheduler is `<name>-<deployment>`); default the queue's. */
    name?: string;
    everyMs: number;
    deploymentId: string;
    log: Logger;
    /** For the warning when a pass fails: "health monitor pass". */
    what: string;
    run(): Promise<T>;
  },
): Promise<ScheduledPassHandle> {
  const options = { connection: backend.connection, prefix: backend.prefix };
  const name = pass.name ?? pass.queue;
  const queue = new backend.Queue(pass.queue, options);
  await queue.upsertJobScheduler(
    `${name}-${pass.deploymentId}`,
    { every: pass.everyMs },
    {
      name,
      data: { deployment: pass.deploymentId },
      opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
    },
  );
  const worker = new backend.Worker(
    pass.queue,
    async (job: Job<{ deployment?: string }>) => {
      // Another deployment's pass (a queue prefix shared by mistake) is its own business.
      if (job.data.deployment !== pass.deploymentId) return undefined;
      return pass.run();
    },
    { ...options, concurrency: 1, ...backend.workerDefaults },
  );
  worker.on('failed', (_job, err) => pass.log.warn({ err }, `${pass.what} failed; the next one will retry`));
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
