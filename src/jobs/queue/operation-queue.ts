import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pTimeout from 'p-timeout';
import type { Logger } from 'pino';
import { recordAudit } from '../../../db/repositories/audit.ts';
import {
  cancelQueuedOperations,
  createOperation,
  finishOperation,
} from '../../../db/repositories/operations.ts';
import type { Database } from '../../../db/schema.ts';
import type { Config } from '../../config.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { JobRef, OperationEnqueuer, OperationKind, OperationRequest } from '../../domain/operations.ts';
import { requesterName } from '../../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { countMetric } from '../../metrics.ts';
import type { OperationInputsIn } from '../../tools/schemas.ts';
import type { QueueBackend } from './backend.ts';
import { OPERATIONS_QUEUE } from './queue-names.ts';

/** The payload of every operation job. The operation row holds the truth; this is a pointer. */
export interface OperationJobData {
  operationId: string;
  kind: OperationKind;
  /** The deployment that queued it: a worker of another deployment hands it back untouched. */
  deployment?: string;
}

const ENQUEUE_TIMEOUT_MS = 10_000;

export function newOperationId(): string {
  // Not all digits and no ":" (BullMQ custom ids), short enough to read out in chat.
  return `op-${randomBytes(5).toString('hex')}`;
}

/** Records an operation and puts it on the queue; the job id is the operation id. */
export class OperationQueue implements OperationEnqueuer<OperationInputsIn> {
  private readonly queue;

  constructor(
    backend: QueueBackend,
    private readonly db: Kysely<Database>,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly deploymentId: string,
  ) {
    this.queue = new backend.Queue<OperationJobData>(OPERATIONS_QUEUE, {
      connection: backend.producerConnection,
      prefix: backend.prefix,
    });
  }

  async enqueue<K extends OperationKind>(
    request: OperationRequest<OperationInputsIn, K> & {
      /** Scheduled passes name their operation, so a pass run twice enqueues it once. */
      operationId?: string;
    },
  ): Promise<JobRef> {
    const operationId = request.operationId ?? newOperationId();
    if (request.instanceId !== undefined && request.supersedes?.length) {
      const cancelled = await cancelQueuedOperations(
        this.db,
        request.instanceId,
        request.supersedes,
        `Cancelled before it started: ${request.kind} ${operationId} replaced it.`,
      );
      for (const op of cancelled) {
        countMetric('operationsFinished', { kind: op.kind, outcome: ErrorCode.Cancelled });
        // Its worker would skip it anyway (the row has ended); removing it just tidies the queue.
        await this.queue.remove(op.id).catch(() => 0);
        this.log.info({ op: op.id, by: operationId }, 'queued operation superseded');
      }
    }
    await createOperation(this.db, {
      id: operationId,
      kind: request.kind,
      args: JSON.stringify(request.args),
      requester: request.context.user,
      channel: request.context.channel,
      reply_to: JSON.stringify(request.context.replyTo),
      state: 'queued',
      instance_id: request.instanceId ?? null,
      step: null,
    });
    await recordAudit(this.db, {
      actor: requesterName(request.context),
      action: request.kind,
      target: request.instanceId === undefined ? operationId : instanceRef(request.instanceId),
      channel: request.context.channel,
      outcome: 'requested',
      price_per_hour: null,
      details: JSON.stringify({ operation: operationId, args: request.args }),
    });
    const added = this.queue.add(
      request.kind,
      { operationId, kind: request.kind, deployment: this.deploymentId },
      {
        jobId: operationId,
        attempts: this.config.jobAttempts,
        backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    );
    try {
      await pTimeout(added, {
        milliseconds: ENQUEUE_TIMEOUT_MS,
        message: `no answer in ${ENQUEUE_TIMEOUT_MS} ms`,
      });
    } catch (err) {
      // The operation row stays "queued" with no job: mark it failed so it is not mistaken for pending work.
      await finishOperation(this.db, operationId, {
        state: 'failed',
        error: { code: ErrorCode.QueueUnavailable, message: 'The job queue did not accept the operation.' },
      }).catch(() => {}); // If even that fails, the reconciler ends operations whose job is gone.
      throw new GpuopsError(
        ErrorCode.QueueUnavailable,
        `The job queue did not take the ${request.kind} within ${ENQUEUE_TIMEOUT_MS / 1000} s (${err instanceof Error ? err.message : String(err)}); nothing was started. Try again shortly.`,
        { retryable: true, cause: err },
      );
    }
    countMetric('operationsStarted', { kind: request.kind });
    this.log.info({ op: operationId, kind: request.kind, user: request.context.user }, 'operation queued');
    return {
      operationId,
      kind: request.kind,
      ...(request.instanceId !== undefined && { instance: instanceRef(request.instanceId) }),
    };
  }

  /** How many operation jobs are in each state, for the queue-depth gauge and readiness. */
  async jobCounts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
