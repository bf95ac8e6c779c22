import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { recordAudit } from '../../../db/repositories/audit.ts';
import { getInstance } from '../../../db/repositories/instances.ts';
import {
  finishOperationIfOpen,
  getOperation,
  markOperationRunning,
  updateOperation,
} from '../../../db/repositories/operations.ts';
import type { OperationRow } from '../../../db/schema.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { type OperationResult, readOperationResult } from '../../domain/operation-result.ts';
import type { OperationKind } from '../../domain/operations.ts';
import { asGpuopsError, ErrorCode, type GpuopsError } from '../../errors.ts';
import { countMetric, observeMetric } from '../../metrics.ts';
import type { QueueBackend } from '../queue/backend.ts';
import type { JobHandler, WorkerServices } from '../queue/job-context.ts';
import type { OperationJobData } from '../queue/operation-queue.ts';
import { type ProgressView, stepProgress, stepsOf } from '../queue/progress.ts';
import { OPERATIONS_QUEUE } from '../queue/queue-names.ts';
import { runDeploy } from './deploy-job.ts';
import { runFailover } from './failover-job.ts';
import { runHibernate } from './hibernate-job.ts';
import { runDestroy, runPause, runResume } from './lifecycle-jobs.ts';
import { runJob } from './run-job.ts';
import { settleAfterFailure } from './settle.ts';
import { runRestore, runSnapshot } from './snapshot-jobs.ts';
import { runStandby, runStandbyOff } from './standby-jobs.ts';

const HANDLERS: Record<OperationKind, JobHandler> = {
  deploy: runDeploy,
  pause: runPause,
  resume: runResume,
  destroy: runDestroy,
  snapshot: runSnapshot,
  restore: runRestore,
  failover: runFailover,
  hibernate: runHibernate,
  standby: runStandby,
  standby_off: runStandbyOff,
  run_job: runJob,
};

/** How long a job of another deployment waits before a worker looks at it again (its own should take it first). */
const FOREIGN_JOB_DELAY_MS = 2_000;

/**
 * Runs one operation job. The operation row is the source of truth: a job delivered again
 * after it finished returns the recorded outcome, and a failure is written as final only
 * when no retry will follow. A job of another deployment (a queue shared by mistake) is handed
 * back untouched.
 */
export async function processOperation(
  job: Job<OperationJobData>,
  services: WorkerServices,
  attempts: number,
  token?: string,
): Promise<OperationResult> {
  const { db, log } = services;
  if (job.data.deployment !== undefined && job.data.deployment !== services.deploymentId) {
    log.warn(
      { job: job.id, theirs: job.data.deployment },
      'a job of another gpuops deployment reached this worker (two deployments share a queue prefix); handing it back',
    );
    return handBack(job, token, FOREIGN_JOB_DELAY_MS);
  }
  const operation = await getOperation(db, job.data.operationId);
  if (!operation) throw new UnrecoverableError(`Operation ${job.data.operationId} is not in the database.`);
  if (operation.state === 'succeeded') return recordedResult(operation, log);
  const started = await markOperationRunning(db, operation.id, 'starting');
  if (!started) {
    // Ended without this job: cancelled while queued, or finalised after BullMQ lost it.
    const ended = await getOperation(db, operation.id);
    if (ended?.state === 'succeeded') return recordedResult(ended, log);
    throw new UnrecoverableError(ended?.error?.message ?? 'Operation ended.');
  }
  if (job.attemptsStarted <= 1 && job.processedOn) {
    observeMetric(
      'jobLatency',
      { kind: operation.kind },
      Math.max(0, job.processedOn - job.timestamp) / 1000,
    );
  }
  const startedAt = (started.started_at ?? new Date()).getTime();
  let instanceId = operation.instance_id ?? undefined;
  const steps = stepsOf(operation);
  const base = () => ({
    operationId: operation.id,
    kind: operation.kind,
    steps,
    startedAt,
    ...(instanceId !== undefined && { instance: instanceRef(instanceId) }),
  });

  const ctx = {
    ...services,
    operation: started,
    log: log.child({ op: operation.id, kind: operation.kind }),
    setInstance(id: number) {
      instanceId = id;
    },
    async report(
      stepIndex: number,
      detail?: string,
      withinStep?: number,
      extra?: Pick<ProgressView, 'output' | 'costSoFar'>,
    ) {
      const view = stepProgress(base(), stepIndex, detail, withinStep, extra);
      await job.updateProgress(view);
      await updateOperation(db, operation.id, { step: view.step, progress: JSON.stringify(view) });
    },
  };

  try {
    const result: OperationResult = await HANDLERS[operation.kind](ctx);
    const finished = await finishOperationIfOpen(db, operation.id, { state: 'succeeded', result });
    if (finished) {
      recordFinished(finished);
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
    }
    return result;
  } catch (err) {
    if (services.shutdown?.aborted) {
      // Not a failure: this worker is stopping. The job goes back to the queue as it is, and the
      // next worker resumes it from the operation's row (a deploy finds what it already rented).
      ctx.log.info('worker shutting down; handing the job back');
      await job.updateProgress(
        stepProgress(base(), 0, 'handed back to the queue: its worker is shutting down; another resumes it'),
      );
      return handBack(job, token, 0);
    }
    const error = asGpuopsError(err);
    const lastAttempt = job.attemptsMade + 1 >= attempts;
    if (!error.retryable || lastAttempt) {
      const ended = await failOperation(services, started, error);
      throw new UnrecoverableError(ended?.error?.message ?? error.message);
    }
    ctx.log.warn(
      { code: error.code, attempt: job.attemptsMade + 1, err },
      'operation attempt failed; will retry',
    );
    await job.updateProgress(
      stepProgress(base(), 0, `attempt ${job.attemptsMade + 1} failed (${error.message}); retrying`),
    );
    throw error;
  }
}

/**
 * Ends an operation as failed, after settling what it touched (records follow the provider; a
 * failed deploy releases its machine), and says where things stand in its message. Used by the
 * job itself and, for jobs BullMQ gave up on or lost, by the reconciler. Returns the ended row, or
 * undefined when the operation had ended already.
 */
export async function failOperation(
  services: WorkerServices,
  operation: OperationRow,
  error: Pick<GpuopsError, 'code' | 'message'>,
): Promise<OperationRow | undefined> {
  const { db, log } = services;
  let standing: string;
  try {
    standing = await settleAfterFailure(services, operation, error);
  } catch (err) {
    log.warn({ op: operation.id, err }, 'could not settle after a failed operation; the reconciler will');
    standing = 'gpuops could not reach the provider to check where things stand; it will on its next check.';
  }
  const message = standing ? `${error.message} ${standing}` : error.message;
  const ended = await finishOperationIfOpen(db, operation.id, {
    state: 'failed',
    error: { code: error.code, message },
  });
  if (!ended) return undefined;
  recordFinished(ended);
  await recordAudit(db, {
    actor: operation.requester,
    action: operation.kind,
    target: ended.instance_id === null ? operation.id : instanceRef(ended.instance_id),
    channel: operation.channel,
    outcome: 'error',
    price_per_hour: null,
    details: JSON.stringify({ operation: operation.id, code: error.code, message }),
  });
  log.warn({ op: operation.id, kind: operation.kind, code: error.code }, 'operation failed');
  return ended;
}

/**
 * The result stored with a succeeded operation, for a job delivered again after it. One that does
 * not fit fails the job for good: no attempt would read it differently.
 */
function recordedResult(operation: OperationRow, log: WorkerServices['log']): OperationResult {
  try {
    return readOperationResult(operation.id, operation.result);
  } catch (err) {
    const error = asGpuopsError(err);
    log.error(
      { op: operation.id, code: error.code, err },
      'the stored result of a succeeded operation does not fit',
    );
    throw new UnrecoverableError(error.message);
  }
}

/** Returns a job to the queue untouched (no attempt counted), to be taken up after `delayMs`. */
async function handBack(
  job: Job<OperationJobData>,
  token: string | undefined,
  delayMs: number,
): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

/** Counts an operation that just ended, by how it ended, with its duration from the request. */
export function recordFinished(operation: OperationRow): void {
  const outcome =
    operation.state === 'succeeded'
      ? 'succeeded'
      : operation.error?.code === ErrorCode.Cancelled || operation.error?.code === ErrorCode.Abandoned
        ? operation.error.code
        : 'failed';
  const labels = { kind: operation.kind, outcome };
  countMetric('operationsFinished', labels);
  const end = operation.finished_at ?? new Date();
  observeMetric(
    'operationDuration',
    labels,
    Math.max(0, end.getTime() - operation.created_at.getTime()) / 1000,
  );
}

/**
 * Ends an operation whose job can no longer end it: BullMQ failed it without running gpuops's code
 * (stalled too often), or it was removed. Does nothing while the job may still run.
 */
export async function endIfAbandoned(
  services: WorkerServices,
  operation: OperationRow,
  jobState: string,
  failedReason?: string,
): Promise<OperationRow | undefined> {
  if (operation.state !== 'queued' && operation.state !== 'running') return undefined;
  if (jobState !== 'failed' && jobState !== 'completed' && jobState !== 'unknown') return undefined;
  const why =
    jobState === 'unknown'
      ? 'Its job is no longer on the queue (removed), so nothing would ever finish it.'
      : /stalled/i.test(failedReason ?? '')
        ? `The workers running it stopped too many times (${failedReason}), so the queue gave up on it.`
        : `Its job ended (${jobState}${failedReason ? `: ${failedReason}` : ''}) without finishing it.`;
  return failOperation(services, operation, {
    code: ErrorCode.Abandoned,
    message: `The ${operation.kind} did not finish. ${why}`,
  });
}

export interface OperationWorker {
  close(): Promise<void>;
}

/** How long a closing worker waits for its jobs to hand themselves back before it lets go of them. */
const HAND_BACK_TIMEOUT_MS = 4_000;

export function startOperationWorker(backend: QueueBackend, base: WorkerServices): OperationWorker {
  const { config } = base;
  const stopping = new AbortController();
  const services: WorkerServices = { ...base, shutdown: stopping.signal };
  const worker = new backend.Worker<OperationJobData>(
    OPERATIONS_QUEUE,
    (job: Job<OperationJobData>, token?: string) =>
      processOperation(job, services, config.jobAttempts, token),
    {
      connection: backend.connection,
      prefix: backend.prefix,
      concurrency: config.workerConcurrency,
      // A worker renews its jobs' locks while it lives, however long a boot takes; a job stalls
      // only when its worker dies (or blocks its event loop for a whole lock). Each stall runs the
      // job again from its row, which is safe; past the limit, the operation is ended below.
      lockDuration: config.jobLockMs,
      stalledInterval: config.jobLockMs,
      maxStalledCount: config.jobMaxStalls,
      ...backend.workerDefaults,
    },
  );
  worker.on('error', (err) => services.log.error({ err }, 'worker error'));
  // A job that stalled too often is failed by BullMQ without running gpuops's code (and one
  // started too often likewise): end its operation now rather than at the reconciler's next pass.
  // For every other failure gpuops's code has ended the operation already, and this does nothing.
  worker.on('failed', (job, err) => {
    if (!job?.id) return;
    const jobId = job.id;
    void (async () => {
      // BullMQ says "failed" after every failed attempt; one it will retry is not over.
      const state = await job.getState();
      if (state !== 'failed') return;
      const operation = await getOperation(services.db, jobId);
      if (operation) await endIfAbandoned(services, operation, state, job.failedReason ?? err.message);
    })().catch((error: unknown) =>
      services.log.warn({ err: error, job: jobId }, 'could not end the operation of a failed job'),
    );
  });
  return {
    async close() {
      // Waits end at once and their jobs go back to the queue; a job stuck in a provider call
      // past the allowance is let go and taken over once its lock expires.
      stopping.abort();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), HAND_BACK_TIMEOUT_MS);
      });
      const closed = worker.close().then(() => 'closed' as const);
      if ((await Promise.race([closed, late])) === 'late') await worker.close(true);
      clearTimeout(timer);
    },
  };
}
