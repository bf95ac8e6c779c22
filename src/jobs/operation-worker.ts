import { type Job, UnrecoverableError } from 'bullmq';
import { recordAudit } from '../../db/repositories/audit.ts';
import { getInstance } from '../../db/repositories/instances.ts';
import {
  finishOperation,
  getOperation,
  markOperationRunning,
  updateOperation,
} from '../../db/repositories/operations.ts';
import type { OperationKind } from '../../db/schema.ts';
import { asGpuopsError } from '../errors.ts';
import type { QueueBackend } from './backend.ts';
import { runDeploy } from './deploy-job.ts';
import type { JobHandler, WorkerServices } from './job-context.ts';
import { runDestroy, runPause, runResume } from './lifecycle-jobs.ts';
import type { OperationJobData } from './operation-queue.ts';
import { type OperationResult, type ProgressView, stepProgress } from './progress.ts';
import { OPERATIONS_QUEUE } from './queue-names.ts';

const HANDLERS: Record<OperationKind, JobHandler> = {
  deploy: runDeploy,
  pause: runPause,
  resume: runResume,
  destroy: runDestroy,
};

/**
 * Runs one operation job. The operation row is the source of truth: a job delivered again
 * after it finished returns the recorded outcome, and a failure is written as final only
 * when no retry will follow.
 */
export async function processOperation(
  job: Job<OperationJobData>,
  services: WorkerServices,
  attempts: number,
): Promise<OperationResult> {
  const { db, log } = services;
  const operation = await getOperation(db, job.data.operationId);
  if (!operation) throw new UnrecoverableError(`Operation ${job.data.operationId} is not in the database.`);
  if (operation.state === 'succeeded') return operation.result as unknown as OperationResult;
  if (operation.state === 'failed')
    throw new UnrecoverableError(operation.error?.message ?? 'Operation failed.');

  const started = await markOperationRunning(db, operation.id, 'starting');
  const startedAt = (started.started_at ?? new Date()).getTime();
  let instanceId = operation.instance_id ?? undefined;
  let instanceRecorded = instanceId !== undefined;
  const instance = () => (instanceId === undefined ? undefined : `i-${instanceId}`);
  const base = () => ({
    operationId: operation.id,
    kind: operation.kind,
    startedAt,
    ...(instanceId !== undefined && { instance: `i-${instanceId}` }),
  });
  // The operation row learns its instance once, so a failed deploy still says which one it was.
  const recordInstance = async () => {
    if (instanceRecorded || instanceId === undefined) return;
    await updateOperation(db, operation.id, { instance_id: instanceId });
    instanceRecorded = true;
  };

  const ctx = {
    ...services,
    operation: started,
    log: log.child({ op: operation.id, kind: operation.kind }),
    setInstance(id: number) {
      instanceId = id;
    },
    async report(stepIndex: number, detail?: string, withinStep?: number) {
      const view = stepProgress(base(), stepIndex, detail, withinStep);
      await job.updateProgress(view as unknown as Record<string, unknown>);
      await recordInstance();
      await updateOperation(db, operation.id, { step: view.step, progress: JSON.stringify(view) });
    },
  };

  try {
    const result = await HANDLERS[operation.kind](ctx);
    await recordInstance();
    await finishOperation(db, operation.id, {
      state: 'succeeded',
      result: result as unknown as Record<string, unknown>,
    });
    const price =
      instanceId === undefined ? null : ((await getInstance(db, instanceId))?.price_per_hour ?? null);
    await recordAudit(db, {
      actor: operation.requester,
      action: operation.kind,
      target: result.instance,
      channel: operation.channel,
      outcome: 'ok',
      price_per_hour: price,
      details: JSON.stringify({ operation: operation.id, result }),
    });
    ctx.log.info({ instance: result.instance }, 'operation succeeded');
    return result;
  } catch (err) {
    const error = asGpuopsError(err);
    const lastAttempt = job.attemptsMade + 1 >= attempts;
    if (!error.retryable || lastAttempt) {
      await recordInstance();
      await finishOperation(db, operation.id, {
        state: 'failed',
        error: { code: error.code, message: error.message },
      });
      await recordAudit(db, {
        actor: operation.requester,
        action: operation.kind,
        target: instance() ?? operation.id,
        channel: operation.channel,
        outcome: 'error',
        price_per_hour: null,
        details: JSON.stringify({ operation: operation.id, code: error.code, message: error.message }),
      });
      ctx.log.warn({ code: error.code, err }, 'operation failed');
      throw new UnrecoverableError(error.message);
    }
    ctx.log.warn(
      { code: error.code, attempt: job.attemptsMade + 1, err },
      'operation attempt failed; will retry',
    );
    await job.updateProgress({
      ...stepProgress(base(), 0, `attempt ${job.attemptsMade + 1} failed (${error.message}); retrying`),
    } satisfies ProgressView as unknown as Record<string, unknown>);
    throw error;
  }
}

export interface OperationWorker {
  close(): Promise<void>;
}

export function startOperationWorker(backend: QueueBackend, services: WorkerServices): OperationWorker {
  const { config } = services;
  const worker = new backend.Worker<OperationJobData>(
    OPERATIONS_QUEUE,
    (job: Job<OperationJobData>) => processOperation(job, services, config.jobAttempts),
    {
      connection: backend.connection,
      prefix: backend.prefix,
      concurrency: config.workerConcurrency,
      lockDuration: config.jobLockMs,
      stalledInterval: config.jobLockMs,
      maxStalledCount: 2,
      ...backend.workerDefaults,
    },
  );
  worker.on('error', (err) => services.log.error({ err }, 'worker error'));
  return { close: () => worker.close() };
}
