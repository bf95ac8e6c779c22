import { afterEach, describe, expect, it } from 'vitest';
import { createOperation, finishOperation } from '../../../db/repositories/operations.ts';
import { JobWatcher } from '../../../src/jobs/queue/job-watcher.ts';
import { type ProgressView, stepProgress } from '../../../src/jobs/queue/progress.ts';
import { silentLogger } from '../../../src/log.ts';
import { openTestBackends, type TestBackends, waitFor } from '../../support/index.ts';

describe('the job watcher', () => {
  let backends: TestBackends | undefined;
  let watcher: JobWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    await backends?.cleanup();
    watcher = undefined;
    backends = undefined;
  });

  it('shows the progress an operation last recorded even when its events were missed, then its outcome', async () => {
    backends = await openTestBackends({ db: 'postgres', queue: 'redis' });
    const db = backends.database.db;
    const view = stepProgress(
      { operationId: 'op-missed01', kind: 'deploy', startedAt: Date.now(), instance: 'i-9' },
      2,
      'provider: loading',
    );
    await createOperation(db, {
      id: 'op-missed01',
      kind: 'deploy',
      args: '{}',
      requester: 'alice',
      channel: 'team-ml',
      reply_to: JSON.stringify({ surface: 'test', channel: 'team-ml' }),
      state: 'running',
      instance_id: null,
      step: view.step,
      progress: JSON.stringify(view),
    });
    watcher = new JobWatcher(backends.queue, db, silentLogger, 100);
    const seen: ProgressView[] = [];
    const done = watcher.watch('op-missed01', { progress: (v) => seen.push(v) });

    await waitFor(() => seen.length > 0, { timeoutMs: 5_000, intervalMs: 20 });
    expect(seen[0]).toMatchObject({
      step: 'Starting the machine',
      detail: 'provider: loading',
      instance: 'i-9',
    });

    await finishOperation(db, 'op-missed01', {
      state: 'succeeded',
      result: { instance: 'i-9', summary: 'i-9 running' },
    });
    const final = await done;
    expect(final).toMatchObject({ state: 'succeeded', instance: 'i-9', result: { summary: 'i-9 running' } });
    // The same recorded view is shown once, not on every poll.
    expect(seen).toHaveLength(1);
  });
});
