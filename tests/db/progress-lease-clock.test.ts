import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOperation, finishOperation, getOperation } from '../../db/repositories/operations.ts';
import type { Database } from '../../db/schema.ts';
import { OperationFollower, type ProgressHome } from '../../src/bots/operation-follower.ts';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
import { JobWatcher } from '../../src/jobs/queue/job-watcher.ts';
import { stepProgress } from '../../src/jobs/queue/progress.ts';
import { silentLogger } from '../../src/log.ts';
import { openTestBackends, type TestBackends, waitFor } from '../support/index.ts';
import { RecordingSurface } from '../support/recording-surface.ts';

const HOUR = 3_600_000;

/**
 * Progress message leases between bot processes whose clocks disagree. The lease is the
 * database's (its `now()`, on the Postgres server every process shares), so a bot host whose
 * clock runs an hour off can neither take over a message a live process holds nor keep one past
 * its lease once it stops renewing. Real Postgres: an embedded database would read the test
 * process's (skewed) clock for `now()` too.
 */
describe('progress message leases follow the database clock, not a bot process’s', () => {
  let backends: TestBackends;
  let db: Kysely<Database>;
  let watcher: JobWatcher;
  const surface = new RecordingSurface();
  const home: ProgressHome = { platform: surface.name, surfaceFor: () => surface };
  const replyTo: ReplyTarget = { surface: surface.name, channel: 'team-ml' };
  const followers: OperationFollower[] = [];
  const follows: Array<Promise<unknown>> = [];
  const running: string[] = [];

  beforeAll(async () => {
    backends = await openTestBackends({ db: 'postgres', queue: 'redis' });
    db = backends.database.db;
    watcher = new JobWatcher(backends.queue, db, silentLogger, 100);
  });
  afterEach(async () => {
    // A follow paces its edits by the clock it last edited under, so the operations end with the
    // clock an hour ahead (the latest any test set): every follow sends its last edit at once.
    await withClockOff(HOUR, async () => {
      for (const id of running.splice(0)) {
        await finishOperation(db, id, {
          state: 'succeeded',
          result: { instance: 'i-7', summary: 'i-7 paused' },
        });
      }
      await Promise.allSettled(follows.splice(0));
      // Messages a follower took over are followed inside it.
      await Promise.all(followers.map((follower) => follower.drain()));
    });
    for (const follower of followers.splice(0)) follower.close();
  });
  afterAll(async () => {
    await watcher?.close();
    await backends?.cleanup();
  });

  /** A bot process's follower; `leaseMs` is how long its messages stay its own unrenewed. */
  function botProcess(leaseMs?: number): OperationFollower {
    const follower = new OperationFollower(db, watcher, silentLogger, {
      progressIntervalMs: 0,
      ...(leaseMs !== undefined && { leaseMs }),
    });
    followers.push(follower);
    return follower;
  }

  /** Runs `work` with this process's clock `skewMs` off the true time, as a badly set host's is. */
  async function withClockOff<T>(skewMs: number, work: () => Promise<T>): Promise<T> {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: Date.now() + skewMs });
    try {
      return await work();
    } finally {
      vi.useRealTimers();
    }
  }

  async function runningOperation(id: string): Promise<void> {
    const view = stepProgress({ operationId: id, kind: 'pause', startedAt: Date.now(), instance: 'i-7' }, 1);
    await createOperation(db, {
      id,
      kind: 'pause',
      args: '{}',
      requester: 'alice',
      channel: 'team-ml',
      reply_to: JSON.stringify(replyTo),
      state: 'running',
      instance_id: null,
      step: view.step,
      progress: JSON.stringify(view),
    });
    running.push(id);
  }

  /**
   * Follows the operation from `follower` until its progress message is posted and recorded;
   * returns the follow, which ends with the operation.
   */
  async function followedBy(follower: OperationFollower, id: string): Promise<{ ends: Promise<unknown> }> {
    const ends = follower.follow({ operationId: id, kind: 'pause', instance: 'i-7' }, surface, replyTo);
    await waitFor(async () => (await getOperation(db, id))?.reply_owner === follower.owner, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    return { ends };
  }

  const ownerOf = async (id: string) => (await getOperation(db, id))?.reply_owner;

  it('keeps a message with the live process that holds it when a process whose clock runs ahead looks for orphans', async () => {
    const live = botProcess();
    await runningOperation('op-held');
    follows.push((await followedBy(live, 'op-held')).ends);

    // An hour ahead, the live process's lease (a minute from now) would look long run out.
    const ahead = botProcess();
    await withClockOff(HOUR, () => ahead.adoptOrphans(home, 60_000));

    expect(await ownerOf('op-held')).toBe(live.owner);
  });

  it('keeps a message with a live process whose clock runs behind', async () => {
    // An hour behind, "a minute from now" by its own clock would be long past for everyone else.
    const behind = botProcess();
    await runningOperation('op-behind');
    const { ends } = await withClockOff(-HOUR, () => followedBy(behind, 'op-behind'));
    follows.push(ends);

    await botProcess().adoptOrphans(home, 60_000);

    expect(await ownerOf('op-behind')).toBe(behind.owner);
  });

  it('hands a message on once its lease runs out when the process that held it, with its clock ahead, stops', async () => {
    const ahead = botProcess(1_000);
    await runningOperation('op-stalled');
    const { ends } = await withClockOff(HOUR, () => followedBy(ahead, 'op-stalled'));
    follows.push(ends);
    // It stops renewing, as a process that froze does.
    ahead.close();

    // By its own clock the lease lasts an hour and a second; by everyone's, a second.
    const other = botProcess();
    await other.adoptOrphans(home, 100);
    await waitFor(async () => (await ownerOf('op-stalled')) === other.owner, {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  });
});
