import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { QueueBackend } from '../../../src/jobs/queue/backend.ts';
import {
  openTestBackends,
  TEST_REDIS_URL,
  type TestBackends,
  uniqueQueueName,
  waitFor,
} from '../../support/index.ts';

const setups = [
  { name: 'Redis', db: 'postgres', queue: 'redis' },
  { name: 'PostgreSQL on the embedded database', db: 'pglite', queue: 'postgres' },
  { name: 'PostgreSQL on a real server', db: 'postgres', queue: 'postgres' },
] as const;

interface Closable {
  close(): Promise<void>;
}

describe.each(setups)('the job queue on $name', (setup) => {
  let backends: TestBackends;
  let b: QueueBackend;
  const open: Closable[] = [];

  /** A Queue, QueueEvents and Worker options on a queue of this test's own. */
  async function queueOf() {
    const name = uniqueQueueName();
    const queue = new b.Queue(name, { connection: b.connection, prefix: b.prefix });
    const events = new b.QueueEvents(name, {
      connection: b.connection,
      prefix: b.prefix,
      ...b.queueEventsDefaults,
    });
    open.push(queue, events);
    await events.waitUntilReady();
    const workerOptions = { connection: b.connection, prefix: b.prefix, ...b.workerDefaults };
    return { name, queue, events, workerOptions };
  }

  beforeAll(async () => {
    backends = await openTestBackends(setup);
    b = backends.queue;
  });
  afterEach(async () => {
    // Workers first, so nothing is mid-job when its queue goes away.
    for (const closable of open.splice(0).reverse()) await closable.close();
  });
  afterAll(async () => {
    await backends?.cleanup();
  });

  it('is the backend it was asked for', () => {
    expect(b.kind).toBe(setup.queue);
    expect(b.describe).toMatch(setup.queue === 'redis' ? /^Redis at 127\.0\.0\.1:6379$/ : /PostgreSQL/);
  });

  it('runs a job added with a job id, and reports its progress in order and then its result', async () => {
    const { name, queue, events, workerOptions } = await queueOf();
    const seen: Array<[string, unknown]> = [];
    events.on('progress', ({ jobId, data }) => {
      if (jobId === 'op-progress') seen.push(['progress', data]);
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      if (jobId === 'op-progress') seen.push(['completed', returnvalue]);
    });
    const worker = new b.Worker(
      name,
      async (job) => {
        expect(job.id).toBe('op-progress');
        expect(job.data).toEqual({ gpu: 'rtx-4090' });
        for (const [i, step] of ['renting', 'booting', 'checking'].entries()) {
          await job.updateProgress({ step, pct: (i + 1) * 30 });
        }
        return { instance: 'i-1' };
      },
      workerOptions,
    );
    open.push(worker);

    await queue.add('deploy', { gpu: 'rtx-4090' }, { jobId: 'op-progress' });
    await waitFor(() => seen.some(([kind]) => kind === 'completed'), {
      timeoutMs: 10_000,
      what: 'completed',
    });
    expect(seen).toEqual([
      ['progress', { step: 'renting', pct: 30 }],
      ['progress', { step: 'booting', pct: 60 }],
      ['progress', { step: 'checking', pct: 90 }],
      ['completed', { instance: 'i-1' }],
    ]);
    const job = await queue.getJob('op-progress');
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toEqual({ instance: 'i-1' });
  });

  it('keeps one job when the same job id is added twice', async () => {
    const { name, queue, workerOptions } = await queueOf();
    const first = await queue.add('deploy', { n: 1 }, { jobId: 'op-twice' });
    const second = await queue.add('deploy', { n: 2 }, { jobId: 'op-twice' });
    expect(second.id).toBe(first.id);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });

    const ran: unknown[] = [];
    const worker = new b.Worker(
      name,
      async (job) => {
        ran.push(job.data);
      },
      workerOptions,
    );
    open.push(worker);
    await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1, {
      what: 'the job to complete',
    });
    // A third add after it ran is still the same job, not a new run.
    await queue.add('deploy', { n: 3 }, { jobId: 'op-twice' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual([{ n: 1 }]);
  });

  it('retries a failing job after its backoff and then reports it failed, once', async () => {
    const { name, queue, events, workerOptions } = await queueOf();
    const failed: string[] = [];
    events.on('failed', ({ jobId, failedReason }) => {
      if (jobId === 'op-flaky') failed.push(failedReason);
    });
    const attemptsAt: number[] = [];
    const worker = new b.Worker(
      name,
      async () => {
        attemptsAt.push(Date.now());
        throw new Error(`provider said 503 (attempt ${attemptsAt.length})`);
      },
      workerOptions,
    );
    open.push(worker);

    await queue.add('deploy', {}, { jobId: 'op-flaky', attempts: 2, backoff: { type: 'fixed', delay: 300 } });
    await waitFor(() => failed.length > 0, { timeoutMs: 10_000, what: 'the failed event' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(attemptsAt).toHaveLength(2);
    expect(attemptsAt[1]! - attemptsAt[0]!).toBeGreaterThanOrEqual(290);
    expect(failed).toEqual(['provider said 503 (attempt 2)']);
    const job = await queue.getJob('op-flaky');
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(2);
  });

  it('does not retry a job that throws UnrecoverableError', async () => {
    const { name, queue, workerOptions } = await queueOf();
    let attempts = 0;
    const worker = new b.Worker(
      name,
      async () => {
        attempts++;
        throw new UnrecoverableError('that GPU does not exist');
      },
      workerOptions,
    );
    open.push(worker);
    await queue.add(
      'deploy',
      {},
      { jobId: 'op-hopeless', attempts: 3, backoff: { type: 'fixed', delay: 50 } },
    );
    // On BullMQ's Postgres backend the failed state can be visible a moment before its reason is.
    const job = await waitFor(async () => {
      const current = await queue.getJob('op-hopeless');
      return (await current?.getState()) === 'failed' && current?.failedReason ? current : undefined;
    });
    expect(attempts).toBe(1);
    expect(job.failedReason).toBe('that GPU does not exist');
  });

  it('refuses a connection it was not made with, equal or not', () => {
    const name = uniqueQueueName();
    const copy = structuredClone(b.connection);
    expect(copy).toEqual(b.connection);
    expect(() => new b.Queue(name, { connection: copy, prefix: b.prefix })).toThrow(
      /was given a connection its queue backend was not made with/,
    );
    expect(() => new b.Worker(name, async () => {}, { connection: copy, prefix: b.prefix })).toThrow(
      /was given a connection its queue backend was not made with/,
    );
  });

  it('closes the Workers, QueueEvents and Queues made from it that are still open', async () => {
    const name = uniqueQueueName();
    const queue = new b.Queue(name, { connection: b.connection, prefix: b.prefix });
    const events = new b.QueueEvents(name, {
      connection: b.connection,
      prefix: b.prefix,
      ...b.queueEventsDefaults,
    });
    const worker = new b.Worker(name, async () => {}, {
      connection: b.connection,
      prefix: b.prefix,
      ...b.workerDefaults,
    });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
    expect(worker.isRunning()).toBe(true);

    await b.close();
    expect(worker.isRunning()).toBe(false);
    expect(worker.closing).toBeDefined();
    expect(events.closing).toBeDefined();
    expect(queue.closing).toBeDefined();
  });

  it('keeps its data where the backend kind needs it', async () => {
    if (setup.queue === 'postgres') {
      const { rows } = await sql<{ table_schema: string }>`
        select table_schema from information_schema.tables where table_name = 'job'`.execute(
        backends.database.db,
      );
      expect(rows.map((r) => r.table_schema)).toEqual([setup.db === 'pglite' ? 'public' : 'bullmq']);
      return;
    }
    const { queue } = await queueOf();
    await queue.add('probe', {});
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect((await redis.keys(`${b.prefix}:*`)).length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it('starts a job and delivers its events quickly, and runs a batch with little overhead per job', async () => {
    const { name, queue, events, workerOptions } = await queueOf();
    const completedAt = new Map<string, number>();
    events.on('completed', ({ jobId }) => completedAt.set(jobId, Date.now()));
    let done = 0;
    const worker = new b.Worker(
      name,
      async () => {
        done++;
      },
      workerOptions,
    );
    open.push(worker);
    await worker.waitUntilReady();

    // One at a time: from add to the completed event, what a chat user waits for beyond the work.
    const roundTrips: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      await queue.add('noop', {}, { jobId: `op-seq-${i}` });
      await waitFor(() => completedAt.has(`op-seq-${i}`), { timeoutMs: 10_000, intervalMs: 2 });
      roundTrips.push(completedAt.get(`op-seq-${i}`)! - started);
    }

    // A batch through one worker: the queue's own cost per job.
    const batch = 100;
    const before = done;
    const started = Date.now();
    await queue.addBulk(
      Array.from({ length: batch }, (_, i) => ({ name: 'noop', data: {}, opts: { jobId: `op-b-${i}` } })),
    );
    await waitFor(() => done - before === batch, { timeoutMs: 60_000, intervalMs: 5 });
    const perJob = (Date.now() - started) / batch;

    roundTrips.sort((x, y) => x - y);
    const median = roundTrips[Math.floor(roundTrips.length / 2)]!;
    const worst = roundTrips.at(-1)!;
    console.log(
      `[queue overhead] ${setup.name}: add→completed event median ${median} ms, worst ${worst} ms; ` +
        `batch of ${batch} at concurrency 1: ${perJob.toFixed(1)} ms/job`,
    );
    // Far below the ~10 s a missed wake-up costs with BullMQ's default polling.
    expect(median).toBeLessThan(1_000);
  });
});
