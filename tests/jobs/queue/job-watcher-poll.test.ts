import { setTimeout as sleep } from 'node:timers/promises';
import type { KyselyPlugin } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createOperation, finishOperation } from '../../../db/repositories/operations.ts';
import { JobWatcher } from '../../../src/jobs/queue/job-watcher.ts';
import type { ProgressView } from '../../../src/jobs/queue/progress.ts';
import { silentLogger } from '../../../src/log.ts';
import { openTestBackends, type TestBackends, testBackends, uniquePrefix } from '../../support/index.ts';

/** Counts the queries a Kysely instance sends (a plugin: Kysely's own extension point). */
function queryCounter(): KyselyPlugin & { count: number } {
  const counter = {
    count: 0,
    transformQuery(args: Parameters<KyselyPlugin['transformQuery']>[0]) {
      counter.count++;
      return args.node;
    },
    async transformResult(args: Parameters<KyselyPlugin['transformResult']>[0]) {
      return args.result;
    },
  };
  return counter;
}

const FOLLOWED = 300;

describe.each(testBackends)('the job watcher following many operations, on $name', (combo) => {
  let backends: TestBackends | undefined;
  let watcher: JobWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    await backends?.cleanup();
    watcher = undefined;
    backends = undefined;
  });

  it('reads the rows of every operation it follows in one query a poll round, not one query an operation, and still sees each one end', async () => {
    backends = await openTestBackends(combo);
    const db = backends.database.db;
    const ids = Array.from({ length: FOLLOWED }, () => uniquePrefix('op'));
    for (const id of ids) {
      await createOperation(db, {
        id,
        kind: 'pause',
        args: '{}',
        requester: 'alice',
        channel: 'team-ml',
        reply_to: JSON.stringify({ surface: 'test', channel: 'team-ml' }),
        state: 'running',
        instance_id: null,
        step: null,
      });
    }
    const counter = queryCounter();
    // No job is on the queue for these operations: only the poll of their rows can see them end.
    watcher = new JobWatcher(backends.queue, db.withPlugin(counter), silentLogger, 50);
    const finals: Array<Promise<ProgressView>> = ids.map((id) => watcher!.watch(id));
    // Each watch reads its row once when it starts; what follows is the poll's.
    while (watcher.watching < FOLLOWED) await sleep(20);
    await sleep(50);

    const before = counter.count;
    await finishOperation(db, ids[0]!, { state: 'succeeded', result: { instance: 'i-1' } });
    expect(await finals[0]!).toMatchObject({ state: 'succeeded', operationId: ids[0] });
    await db
      .updateTable('operations')
      .set({
        state: 'failed',
        finished_at: new Date(),
        error: JSON.stringify({ code: 'cancelled', message: 'test' }),
      })
      .where('id', 'in', ids.slice(1))
      .execute();
    const ended = await Promise.all(finals.slice(1));
    expect(ended.every((view) => view.state === 'failed')).toBe(true);
    // A read per operation per round would have sent at least FOLLOWED queries for the round that saw the first end.
    expect(counter.count - before).toBeLessThan(FOLLOWED / 3);
  });
});
