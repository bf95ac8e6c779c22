import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { getOperation, getOperations } from '../../../db/repositories/operations.ts';
import type { Database, OperationRow } from '../../../db/schema.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import type { QueueBackend } from './backend.ts';
import { isProgressView, type ProgressView, stepsOf } from './progress.ts';
import { OPERATIONS_QUEUE } from './queue-names.ts';

export interface JobListener {
  progress(view: ProgressView): void;
  /** Called exactly once, with the final state read from the operation's row. */
  final(view: ProgressView): void;
}

/** The final view of a finished operation, built from its row (the row is the truth, not the event). */
export function finalView(row: OperationRow): ProgressView {
  const steps = stepsOf(row);
  const startedAt = (row.started_at ?? row.created_at).getTime();
  const finishedAt = (row.finished_at ?? new Date()).getTime();
  const result = row.result as OperationResult | null;
  return {
    operationId: row.id,
    kind: row.kind,
    ...(result?.instance
      ? { instance: result.instance }
      : row.instance_id !== null
        ? { instance: instanceRef(row.instance_id) }
        : {}),
    state: row.state === 'succeeded' ? 'succeeded' : 'failed',
    step: row.step ?? steps[steps.length - 1] ?? 'done',
    stepIndex: steps.length,
    stepCount: steps.length,
    pct: row.state === 'succeeded' ? 100 : 0,
    startedAt,
    elapsedMs: finishedAt - startedAt,
    ...(result && { result }),
    ...(row.error && { error: row.error }),
  };
}

/** A view's identity for de-duplication: the same step and detail seen twice is shown once. */
function progressKey(view: ProgressView): string {
  return `${view.stepIndex}|${view.pct}|${view.detail ?? ''}|${view.instance ?? ''}`;
}

interface Watch {
  listener: JobListener;
  lastKey: string;
  last: ProgressView | undefined;
}

/** Whether a view from the row is ahead of what was shown; the row can lag an event by one write. */
function isAhead(view: ProgressView, last: ProgressView | undefined): boolean {
  return (
    !last || view.stepIndex > last.stepIndex || (view.stepIndex === last.stepIndex && view.pct > last.pct)
  );
}

/** Operations read by one query of the backup poll. */
const POLL_BATCH = 500;

/**
 * The bot side of jobs: one QueueEvents subscription per process, fanned out to the chat
 * messages following each operation. Events can be missed (a job that finished before we
 * subscribed, a reconnect, BullMQ's Postgres backend dropping one), so a slow poll of the
 * operations' rows, which keep their last progress and outcome, backs them up.
 */
export class JobWatcher {
  private readonly listeners = new Map<string, Set<Watch>>();
  private readonly events;
  private readonly poller: NodeJS.Timeout;
  private ready: Promise<void>;
  private closed = false;
  private polling = false;

  constructor(
    backend: QueueBackend,
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    pollMs = 3_000,
  ) {
    this.events = new backend.QueueEvents(OPERATIONS_QUEUE, {
      connection: backend.connection,
      prefix: backend.prefix,
      ...backend.queueEventsDefaults,
    });
    this.events.on('progress', ({ jobId, data }) => {
      if (isProgressView(data)) this.deliverProgress(jobId, data, 'event');
    });
    const settle = ({ jobId }: { jobId: string }) => {
      if (this.listeners.has(jobId)) void this.check(jobId);
    };
    this.events.on('completed', settle);
    this.events.on('failed', settle);
    this.events.on('error', (err) => this.log.warn({ err }, 'queue events error'));
    this.ready = this.events.waitUntilReady().then(() => undefined);
    this.poller = setInterval(() => void this.pollAll(), pollMs);
    this.poller.unref();
  }

  waitUntilReady(): Promise<void> {
    return this.ready;
  }

  /**
   * Follows an operation until it ends. Resolves with its final view. Several listeners may
   * follow one operation (a request's message and a re-attached one); each hears every view.
   */
  async watch(operationId: string, listener: Partial<JobListener> = {}): Promise<ProgressView> {
    await this.ready;
    if (this.closed) {
      // Closed while the caller got ready to follow: it gets the same last word as the others.
      const last = await this.partingView(operationId, undefined);
      if (last) {
        listener.final?.(last);
        return last;
      }
    }
    return new Promise<ProgressView>((resolve) => {
      let watches = this.listeners.get(operationId);
      if (!watches) {
        watches = new Set();
        this.listeners.set(operationId, watches);
      }
      const watch: Watch = {
        lastKey: '',
        last: undefined,
        listener: {
          progress: (view) => listener.progress?.(view),
          final: (view) => {
            watches.delete(watch);
            if (watches.size === 0 && this.listeners.get(operationId) === watches) {
              this.listeners.delete(operationId);
            }
            listener.final?.(view);
            resolve(view);
          },
        },
      };
      watches.add(watch);
      // It may already be under way or over: a fast job can finish before this subscription existed.
      void this.check(operationId);
    });
  }

  /** Operations followed by at least one listener. */
  get watching(): number {
    return this.listeners.size;
  }

  private deliverProgress(operationId: string, view: ProgressView, from: 'event' | 'row'): void {
    for (const watch of this.listeners.get(operationId) ?? []) {
      const key = progressKey(view);
      if (key === watch.lastKey || (from === 'row' && !isAhead(view, watch.last))) continue;
      watch.lastKey = key;
      watch.last = view;
      watch.listener.progress(view);
    }
  }

  private async check(operationId: string): Promise<void> {
    try {
      const row = await getOperation(this.db, operationId);
      if (row) this.deliverRow(row);
    } catch (err) {
      this.log.warn({ err, op: operationId }, 'could not read operation state');
    }
  }

  /**
   * One poll round: every followed operation's row, a few hundred to a query, and never two rounds
   * at once. A read per operation per round (a thousand followed at once) piled up behind a busy
   * database, the embedded one above all, which serves one query at a time.
   */
  private async pollAll(): Promise<void> {
    if (this.polling || this.listeners.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.listeners.keys()];
      for (let i = 0; i < ids.length; i += POLL_BATCH) {
        for (const row of await getOperations(this.db, ids.slice(i, i + POLL_BATCH))) this.deliverRow(row);
      }
    } catch (err) {
      this.log.warn({ err }, 'could not read the state of the operations followed');
    } finally {
      this.polling = false;
    }
  }

  private deliverRow(row: OperationRow): void {
    if (row.state === 'succeeded' || row.state === 'failed') {
      const final = finalView(row);
      for (const watch of [...(this.listeners.get(row.id) ?? [])]) watch.listener.final(final);
    } else if (isProgressView(row.progress)) {
      this.deliverProgress(row.id, row.progress, 'row');
    }
  }

  /**
   * Stops following. Operations still under way carry on in the workers: each watcher's message
   * gets a last edit saying so, rather than stopping at a step with no explanation.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poller);
    for (const [operationId, watches] of [...this.listeners]) {
      for (const watch of [...watches]) {
        const last = await this.partingView(operationId, watch.last);
        if (last) watch.listener.final(last);
      }
    }
    await this.events.close();
  }

  /** The final view if the operation ended, else its last view with a note that it continues. */
  private async partingView(
    operationId: string,
    seen: ProgressView | undefined,
  ): Promise<ProgressView | undefined> {
    const row = await getOperation(this.db, operationId).catch(() => undefined);
    if (row?.state === 'succeeded' || row?.state === 'failed') return finalView(row);
    const last = seen ?? (await this.lastRecorded(operationId));
    if (!last) return undefined;
    return {
      ...last,
      detail:
        'this chat stopped following it; the operation continues on the workers ("status of <instance>" or "list my instances" shows how it ends)',
    };
  }

  /** What the operation's row last recorded, as a view of it still under way. */
  private async lastRecorded(operationId: string): Promise<ProgressView | undefined> {
    const row = await getOperation(this.db, operationId).catch(() => undefined);
    if (!row) return undefined;
    if (isProgressView(row.progress)) return row.progress;
    const steps = stepsOf(row);
    return {
      operationId,
      kind: row.kind,
      ...(row.instance_id !== null && { instance: instanceRef(row.instance_id) }),
      state: row.state === 'queued' ? 'queued' : 'running',
      step: row.step ?? 'Queued',
      stepIndex: 0,
      stepCount: steps.length,
      pct: 0,
      startedAt: (row.started_at ?? row.created_at).getTime(),
    };
  }
}
