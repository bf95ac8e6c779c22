import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  claimOrphanedProgress,
  markProgressShown,
  recordProgressMessage,
  releaseProgressLease,
  renewProgressLease,
} from '../../db/repositories/progress-messages.ts';
import type { Database, OperationRow } from '../../db/schema.ts';
import type { ChatSurface, MessageRef, OutgoingMessage } from '../agent/chat-surface.ts';
import type { JobRef } from '../domain/operations.ts';
import type { ReplyTarget } from '../domain/request-context.ts';
import type { JobWatcher } from '../jobs/queue/job-watcher.ts';
import { LeaseRenewal } from '../jobs/queue/lease-renewal.ts';
import { JOB_STEPS, type ProgressView } from '../jobs/queue/progress.ts';
import { countMetric } from '../metrics.ts';
import { type FinalRetry, ProgressRelay } from './progress-relay.ts';
import { renderProgress } from './render.ts';

export interface OperationFollowerOptions {
  progressIntervalMs: number;
  /**
   * How long a progress message stays this process's after its last renewal (renewed every third
   * of it, on the database's clock). Default 60 s.
   */
  leaseMs?: number;
  /** Operations older than this are not taken over after a restart. Default 24 h. */
  adoptWithinMs?: number;
  /** How a refused final edit is tried again before the message is left to adoption. */
  finalRetry?: FinalRetry;
}

/** Where adopted operations' messages live, per platform: how to reach a message again. */
export interface ProgressHome {
  platform: string;
  /** The surface to edit a message in a reply target (channel, thread) of this platform. */
  surfaceFor(replyTo: ReplyTarget): ChatSurface;
}

/**
 * Follows operations in chat: one progress message per operation, edited as it moves and always
 * ending in its final state. Where the message is and which process keeps it current are kept in
 * the operation's row, so after a restart (or when another bot process of the deployment dies)
 * the messages still owed an ending are found and followed again. One process edits a message at
 * a time: the one holding its lease (db/repositories/progress-messages.ts); a process that finds
 * another took a message over stops editing it and leaves its ending to that one.
 */
export class OperationFollower {
  readonly owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly leaseMs: number;
  private readonly following = new Set<string>();
  /** The leases on followed messages this process holds, each renewed until its follow ends. */
  private readonly leases = new Map<string, LeaseRenewal>();
  /** Follows under way, so shutting down can wait for their last edits and lease releases. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly homes: ProgressHome[] = [];
  private adopter: NodeJS.Timeout | undefined;
  private adopting = false;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly watcher: JobWatcher,
    private readonly log: Logger,
    private readonly options: OperationFollowerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  /**
   * Posts the operation's progress message in `surface` and keeps it current until it ends.
   * `beforeFinal` runs with the operation's end (succeeded or failed) before that end is shown, so
   * what the person reads and may answer at once ("pause it") is already known to the conversation.
   */
  follow(
    job: JobRef,
    surface: ChatSurface,
    replyTo: ReplyTarget,
    beforeFinal?: (final: ProgressView) => Promise<void>,
  ): Promise<ProgressView> {
    // Tracked from the first post, so a shutdown waits for a message still being recorded too.
    return this.track(this.postAndFollow(job, surface, replyTo, beforeFinal));
  }

  private async postAndFollow(
    job: JobRef,
    surface: ChatSurface,
    replyTo: ReplyTarget,
    beforeFinal: ((final: ProgressView) => Promise<void>) | undefined,
  ): Promise<ProgressView> {
    const initial: ProgressView = {
      operationId: job.operationId,
      kind: job.kind,
      ...(job.instance && { instance: job.instance }),
      state: 'queued',
      step: 'Queued',
      stepIndex: 0,
      stepCount: JOB_STEPS[job.kind].length,
      pct: 0,
      startedAt: Date.now(),
    };
    this.following.add(job.operationId);
    // A chat that cannot take the progress message does not stop the operation or its ending:
    // the job is still followed, and its final state still reaches the caller.
    countMetric('chatMessages', { platform: surface.name, kind: 'progress' });
    const ref = await surface
      .post({ kind: 'progress', text: renderProgress(initial), progress: initial })
      .catch((err: unknown) => {
        this.log.warn({ err, op: job.operationId }, 'could not post the progress message');
        return undefined;
      });
    if (ref) {
      await recordProgressMessage(
        this.db,
        job.operationId,
        { ...replyTo, message: ref.id },
        this.owner,
        this.leaseMs,
      )
        .then(() => this.holdLease(job.operationId))
        .catch((err: unknown) =>
          // Unrecorded, nobody else can find the message: this process edits it to the end unleased.
          this.log.warn({ err, op: job.operationId }, 'could not record the progress message'),
        );
    }
    return this.followToEnd(job.operationId, surface, ref, beforeFinal);
  }

  /**
   * Finds, now and then every `everyMs`, the progress messages on `home`'s platform still owed a
   * final state that no live process holds, and follows them to the end.
   */
  adoptOrphans(home: ProgressHome, everyMs = 15_000): Promise<void> {
    this.homes.push(home);
    if (!this.adopter) {
      this.adopter = setInterval(() => void this.adoptNow(), everyMs);
      this.adopter.unref();
    }
    return this.adoptNow();
  }

  private async adoptNow(): Promise<void> {
    if (this.adopting || this.closed) return;
    this.adopting = true;
    try {
      for (const home of this.homes) {
        const rows = await claimOrphanedProgress(this.db, home.platform, this.owner, this.leaseMs, {
          limit: 100,
          withinMs: this.options.adoptWithinMs ?? 24 * 3_600_000,
        });
        for (const row of rows) this.adopt(row, home);
      }
    } catch (err) {
      this.log.warn({ err }, 'could not look for progress messages to take over');
    } finally {
      this.adopting = false;
    }
  }

  private adopt(row: OperationRow, home: ProgressHome): void {
    const replyTo = row.reply_to;
    // Followed here already: the claim only refreshed this process's own lease.
    if (!replyTo.message || this.following.has(row.id)) return;
    this.log.info({ op: row.id, surface: home.platform }, 'taking over a progress message');
    this.following.add(row.id);
    this.holdLease(row.id);
    void this.track(this.followToEnd(row.id, home.surfaceFor(replyTo), { id: replyTo.message })).catch(
      (err: unknown) => this.log.warn({ err, op: row.id }, 'could not follow a taken-over operation'),
    );
  }

  private track<T>(following: Promise<T>): Promise<T> {
    this.inFlight.add(following);
    void following.finally(() => this.inFlight.delete(following)).catch(() => undefined);
    return following;
  }

  private async followToEnd(
    operationId: string,
    surface: ChatSurface,
    ref: MessageRef | undefined,
    beforeFinal?: (final: ProgressView) => Promise<void>,
  ): Promise<ProgressView> {
    const message = (view: ProgressView): OutgoingMessage => ({
      kind: 'progress',
      text: renderProgress(view),
      progress: view,
    });
    // Unleased when its message could not be recorded: then nobody else can take it over.
    const lease = this.leases.get(operationId);
    const ours = () => !lease?.lost;
    const relay = new ProgressRelay(
      async (view, newest) => {
        if (!ref || !ours()) return;
        countMetric('chatEdits', { platform: surface.name });
        // The surface asks for the newest view when its edit budget lets the edit go.
        await surface.update(ref, message(view), () => message(newest()));
      },
      this.options.progressIntervalMs,
      (err) => this.log.warn({ err, op: operationId }, 'could not update the progress message'),
      ...(this.options.finalRetry ? [this.options.finalRetry] : []),
    );
    try {
      const final = await this.watcher.watch(operationId, { progress: (view) => relay.progress(view) });
      if (beforeFinal && (final.state === 'succeeded' || final.state === 'failed')) {
        await beforeFinal(final).catch((err: unknown) =>
          this.log.warn({ err, op: operationId }, 'could not note the operation’s end before showing it'),
        );
      }
      // Taken over by another process (this one stalled past its lease): that one shows the end.
      if (!ours()) return final;
      const ended = final.state === 'succeeded' || final.state === 'failed';
      // A process stopping with the operation under way edits once and hands the message on at
      // once rather than holding it through retries.
      const shown = await relay.final(final, { retry: ended });
      // No renewal may land after the lease is marked done or let go.
      await lease?.stop();
      if (ended && shown) {
        await markProgressShown(this.db, operationId).catch((err: unknown) =>
          this.log.warn({ err, op: operationId }, 'could not record that the final state was shown'),
        );
      } else {
        if (ended) {
          this.log.warn(
            { op: operationId },
            'the platform refused the final state on every try; leaving the message to be taken over',
          );
        }
        // Still owed its ending (the platform refused it, or this process is stopping with the
        // operation under way): with the lease let go, the next adoption pass, here or in another
        // process, follows it again. Not followed any more here first, so that pass may take it.
        this.following.delete(operationId);
        await releaseProgressLease(this.db, operationId, this.owner).catch((err: unknown) =>
          // The lease then runs out on its own, and the message is taken over after it instead.
          this.log.warn({ err, op: operationId }, 'could not let go of a progress message'),
        );
      }
      return final;
    } finally {
      this.following.delete(operationId);
      await lease?.stop();
      if (this.leases.get(operationId) === lease) this.leases.delete(operationId);
    }
  }

  /** Renews this process's lease on the operation's message until its follow ends. */
  private holdLease(operationId: string): void {
    const renewal = new LeaseRenewal(
      () => renewProgressLease(this.db, operationId, this.owner, this.leaseMs),
      this.leaseMs,
      () =>
        this.log.warn(
          { op: operationId },
          'another bot process took the progress message over (this one stalled past its lease); it shows the ending',
        ),
    );
    this.leases.set(operationId, renewal);
  }

  /**
   * Stops taking messages over and renewing leases; those followed now end when the job watcher
   * closes, and are let go then.
   */
  close(): void {
    this.closed = true;
    // Never rejects; drain() waits for the follows, which wait for their renewals to stop.
    for (const lease of this.leases.values()) void lease.stop();
    if (this.adopter) clearInterval(this.adopter);
  }

  /**
   * Waits (up to `timeoutMs`) for every followed message's last edit and lease release: call it
   * after the watcher has closed, before the database does, so another process can take over at once.
   */
  async drain(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
