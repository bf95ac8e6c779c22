import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  claimNotices,
  markNoticeDelivered,
  type NoticeScope,
  releaseNotice,
  renewNoticeClaim,
} from '../../db/repositories/notices.ts';
import type { Database, NoticeRow } from '../../db/schema.ts';
import type { MessageRef } from '../agent/chat-surface.ts';
import { LeaseRenewal } from '../jobs/queue/lease-renewal.ts';

/**
 * Posts a notice; resolves once the platform took it (with the message it made), rejects when it
 * did not.
 */
export type NoticeDelivery = (notice: NoticeRow) => Promise<MessageRef | undefined>;

export interface NoticeFeedOptions {
  pollMs?: number;
  /**
   * How long a claim keeps other processes off a notice after its last renewal (renewed every
   * third of it while the notice waits for its turn and is posted). Longer than any one post can
   * take (the chat clients give up within about a minute and a half), so a post that stalls this
   * process is not posted again beside it; a process that dies holding a claim delays its notice
   * by at most this.
   */
  leaseMs?: number;
  /** The wait after a first failed post; doubled after each further failure, up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Posts tried before a notice is left undelivered with its last error (about a day at the cap). */
  maxAttempts?: number;
}

/**
 * Delivers the notices workers leave for channels (db/repositories/notices.ts) to whichever chat
 * in this process serves each channel, at least once and, short of a crash, once:
 *
 * 1. claim: one statement gives undelivered, unclaimed notices to this process for a lease, renewed
 *    until each is posted (src/jobs/queue/lease-renewal.ts);
 * 2. post: the platform's adapter posts it and resolves only when the platform accepted it;
 * 3. mark: delivered, with the message's id; a failed post lets the claim go after a backoff.
 *
 * Two processes never hold one claim, so they never post one notice at once. What remains is the
 * window between the platform taking a post and the mark: a process that dies there (or loses
 * the database for longer than the lease) leaves a claim that runs out, and the notice is posted
 * again. Discord's adapter closes that window too (the post carries a nonce Discord enforces);
 * in Slack it stays, as Slack's chat.postMessage has no idempotency key.
 */
export class NoticeFeed {
  private readonly subscribers = new Map<string, NoticeDelivery>();
  private readonly platforms = new Map<string, NoticeDelivery>();
  private readonly timer: NodeJS.Timeout;
  private readonly options: Required<NoticeFeedOptions>;
  private polling: Promise<void> | undefined;
  private again = false;
  readonly owner = `${hostname()}:${process.pid}:notices:${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    options: NoticeFeedOptions = {},
  ) {
    this.options = {
      pollMs: options.pollMs ?? 2_000,
      leaseMs: options.leaseMs ?? 180_000,
      retryMs: options.retryMs ?? 2_000,
      maxRetryMs: options.maxRetryMs ?? 300_000,
      maxAttempts: options.maxAttempts ?? 300,
    };
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  /** Shows the channel's notices through `deliver` until the returned function is called. */
  subscribe(channel: string, deliver: NoticeDelivery): () => void {
    this.subscribers.set(channel, deliver);
    void this.poll();
    return () => this.subscribers.delete(channel);
  }

  /** Shows every notice for the channels of a chat platform (Slack, Discord) through `deliver`. */
  subscribePlatform(platform: string, deliver: NoticeDelivery): () => void {
    this.platforms.set(platform, deliver);
    void this.poll();
    return () => this.platforms.delete(platform);
  }

  /** Claims and posts what is due now; resolves when that pass (and one asked for meanwhile) ends. */
  poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async pass(): Promise<void> {
    const scopes: Array<[NoticeScope, (notice: NoticeRow) => NoticeDelivery | undefined]> = [];
    if (this.subscribers.size > 0) {
      scopes.push([{ channels: [...this.subscribers.keys()] }, (n) => this.subscribers.get(n.channel)]);
    }
    for (const platform of this.platforms.keys()) {
      scopes.push([{ platform }, () => this.platforms.get(platform)]);
    }
    for (const [scope, deliveryFor] of scopes) {
      let claimed: NoticeRow[];
      try {
        claimed = await claimNotices(
          this.db,
          scope,
          this.owner,
          this.options.leaseMs,
          this.options.maxAttempts,
        );
      } catch (err) {
        this.log.warn({ err }, 'could not read notices');
        continue;
      }
      // Held while they wait for their turn too: a batch posts one at a time.
      const claims = claimed.map((notice) => ({ notice, renewal: this.renewing(notice) }));
      for (const { notice, renewal } of claims) await this.deliver(notice, renewal, deliveryFor(notice));
    }
  }

  private renewing(notice: NoticeRow): LeaseRenewal {
    return new LeaseRenewal(
      () => renewNoticeClaim(this.db, notice.id, this.owner, this.options.leaseMs),
      this.options.leaseMs,
      () =>
        this.log.warn({ notice: notice.id }, 'another bot process took over a notice this one had claimed'),
    );
  }

  private async deliver(
    notice: NoticeRow,
    renewal: LeaseRenewal,
    deliver: NoticeDelivery | undefined,
  ): Promise<void> {
    // Its claim ran out while this process stalled and another took it: that one posts it.
    if (renewal.lost) return;
    // Started in a promise so that an adapter that throws at once fails like one that rejects.
    const outcome = await Promise.resolve(notice)
      .then(deliver ?? nobodyShows)
      .then(
        (posted) => ({ posted }),
        (err: unknown) => ({ err }),
      );
    // No renewal may land after the claim is marked delivered or let go.
    await renewal.stop();
    if ('err' in outcome) {
      const { err } = outcome;
      const retryIn = Math.min(
        this.options.maxRetryMs,
        this.options.retryMs * 2 ** Math.max(0, notice.attempts - 1),
      );
      this.log.warn({ err, notice: notice.id, attempt: notice.attempts, retryIn }, 'could not post a notice');
      await releaseNotice(
        this.db,
        notice.id,
        this.owner,
        retryIn,
        err instanceof Error ? err.message : String(err),
      ).catch((releaseErr: unknown) =>
        // The claim then runs out on its own: the notice is retried after the lease instead.
        this.log.warn({ err: releaseErr, notice: notice.id }, 'could not schedule a notice retry'),
      );
      return;
    }
    await markNoticeDelivered(this.db, notice.id, outcome.posted?.id).catch((err: unknown) =>
      this.log.error(
        { err, notice: notice.id },
        'a notice was posted but could not be marked delivered; it will be posted again when its claim runs out',
      ),
    );
  }

  close(): void {
    clearInterval(this.timer);
    this.subscribers.clear();
    this.platforms.clear();
  }
}

const nobodyShows: NoticeDelivery = () =>
  Promise.reject(new Error('nobody in this process shows this channel any more'));
