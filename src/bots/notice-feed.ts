import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { takeNotices, takePlatformNotices } from '../../db/repositories/notices.ts';
import type { Database, NoticeRow } from '../../db/schema.ts';

/**
 * Delivers the notices workers leave for channels (db/repositories/notices.ts) to whichever chat
 * in this process serves each channel. Each notice is taken once, by one bot process.
 */
export class NoticeFeed {
  private readonly subscribers = new Map<string, (notice: NoticeRow) => void>();
  private readonly platforms = new Map<string, (notice: NoticeRow) => void>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    pollMs = 2_000,
  ) {
    this.timer = setInterval(() => void this.poll(), pollMs);
    this.timer.unref();
  }

  /** Shows the channel's notices through `deliver` until the returned function is called. */
  subscribe(channel: string, deliver: (notice: NoticeRow) => void): () => void {
    this.subscribers.set(channel, deliver);
    void this.poll();
    return () => this.subscribers.delete(channel);
  }

  /** Shows every notice for the channels of a chat platform (Slack, Discord) through `deliver`. */
  subscribePlatform(platform: string, deliver: (notice: NoticeRow) => void): () => void {
    this.platforms.set(platform, deliver);
    void this.poll();
    return () => this.platforms.delete(platform);
  }

  private async poll(): Promise<void> {
    if (this.polling || (this.subscribers.size === 0 && this.platforms.size === 0)) return;
    this.polling = true;
    try {
      for (const notice of await takeNotices(this.db, [...this.subscribers.keys()])) {
        this.subscribers.get(notice.channel)?.(notice);
      }
      for (const [platform, deliver] of this.platforms) {
        for (const notice of await takePlatformNotices(this.db, platform)) deliver(notice);
      }
    } catch (err) {
      this.log.warn({ err }, 'could not read notices');
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.subscribers.clear();
    this.platforms.clear();
  }
}
