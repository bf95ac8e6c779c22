import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addNotice, getNotice } from '../../db/repositories/notices.ts';
import type { NoticeRow } from '../../db/schema.ts';
import type { MessageRef } from '../../src/agent/chat-surface.ts';
import { NoticeFeed } from '../../src/bots/notice-feed.ts';
import { silentLogger } from '../../src/log.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind, waitFor } from '../support/index.ts';

describe.each<TestDatabaseKind>(['postgres', 'pglite'])('claims on notices, on %s', (kind) => {
  let t: TestDatabase;
  const feeds: NoticeFeed[] = [];

  beforeEach(async () => {
    t = await openTestDatabase(kind);
  });
  afterEach(async () => {
    for (const feed of feeds.splice(0)) feed.close();
    await t.cleanup();
  });

  /** A bot process's notice feed, its claims lasting `leaseMs` unrenewed. */
  function botProcess(leaseMs: number, pollMs: number): NoticeFeed {
    const feed = new NoticeFeed(t.handle.db, silentLogger, { leaseMs, pollMs });
    feeds.push(feed);
    return feed;
  }

  it('keeps a notice from a second process while the first is still posting it, long past one lease', async () => {
    const notice = await addNotice(t.handle.db, {
      channel: 'team-ml',
      reply_to: null,
      instance_id: 7,
      text: 'i-7 was running, but its machine is gone.',
    });
    const posts: string[] = [];
    let platformAnswers!: () => void;
    const answered = new Promise<void>((resolve) => {
      platformAnswers = resolve;
    });
    // The platform takes its time over the first process's post (a slow API, retries).
    botProcess(600, 60_000).subscribe('team-ml', async (n: NoticeRow): Promise<MessageRef> => {
      posts.push(`first ${n.id}`);
      await answered;
      return { id: 'm1' };
    });
    await waitFor(() => posts.length === 1, { timeoutMs: 10_000, intervalMs: 10 });

    const second = botProcess(600, 100);
    second.subscribe('team-ml', async (n: NoticeRow): Promise<MessageRef> => {
      posts.push(`second ${n.id}`);
      return { id: 'm2' };
    });
    // Three leases and more, polled every 100 ms by the second process.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    platformAnswers();

    await waitFor(async () => (await getNotice(t.handle.db, notice.id))?.delivered_at != null, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(posts).toEqual([`first ${notice.id}`]);
    expect(await getNotice(t.handle.db, notice.id)).toMatchObject({ posted_message: 'm1', attempts: 1 });
  });
});
