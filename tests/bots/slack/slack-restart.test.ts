import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../src/cloud/sim/index.ts';
import { startTestGpuops, type TestGpuops } from '../../support/gpuops-harness.ts';
import {
  eventually,
  freshTs,
  mentionEvent,
  type SlackStandIns,
  shown,
  startSlackGpuops,
  startSlackStandIns,
} from '../../support/platforms/slack-gpuops.ts';
import { waitFor } from '../../support/wait.ts';

describe('a Slack bot restarted while a deploy runs', () => {
  let slack: SlackStandIns;
  let sim: Simulator;
  let simDir: string;
  let workers: TestGpuops;

  beforeAll(async () => {
    simDir = await mkdtemp(path.join(tmpdir(), 'gpuops-restart-sim-'));
    // Slow enough that the deploy is still booting when the first bot stops.
    sim = await startSimulator({ timeScale: 0.15, offers: 400, dataDir: simDir });
    slack = await startSlackStandIns({ U0ALICE: 'alice' });
    workers = await startTestGpuops({ db: 'postgres', queue: 'postgres', role: 'worker', sim });
  });
  afterAll(async () => {
    await workers?.close();
    await slack?.close();
    await sim?.close();
    await rm(simDir, { recursive: true, force: true });
  });

  it('finds the operation again from the database and edits its progress message to the final state', async () => {
    const first = await startSlackGpuops(slack, { mode: 'socket', role: 'bot', share: workers });
    await slack.socket.waitForConnections(1);
    const thread = freshTs();
    await slack.socket.push('events_api', mentionEvent('deploy a 4090', { ts: thread }));
    const progress = await eventually('the progress message', () =>
      slack.api.messages('C0CHAN').find((m) => m.thread_ts === thread && /^(🕓|⏳) deploy/.test(shown(m))),
    );
    await first.close();
    const afterStop = slack.api.messages('C0CHAN').find((m) => m.ts === progress.ts)!;
    expect(shown(afterStop)).not.toMatch(/^✅/);
    expect(shown(afterStop)).toContain('the operation continues on the workers');

    const second = await startSlackGpuops(slack, { mode: 'socket', role: 'bot', share: workers });
    try {
      const final = await eventually(
        'the same message edited to the final state',
        () => {
          const m = slack.api.messages('C0CHAN').find((x) => x.ts === progress.ts)!;
          return /^✅ deploy i-\d+ done/.test(shown(m)) && m;
        },
        60_000,
      );
      expect(shown(final)).toContain('ssh');
      // Still one progress message for the operation: the second bot edited the first one's.
      expect(
        slack.api
          .messages('C0CHAN')
          .filter((m) => m.thread_ts === thread && /deploy i-\d+ done|^(🕓|⏳) deploy/.test(shown(m))),
      ).toHaveLength(1);
      // Recorded once Slack took the final edit, so just after it shows.
      const row = await waitFor(
        async () => {
          const r = await second.g.runtime.database.db
            .selectFrom('operations')
            .select(['reply_done_at', 'reply_owner'])
            .where('kind', '=', 'deploy')
            .executeTakeFirstOrThrow();
          return r.reply_done_at !== null && r;
        },
        { timeoutMs: 10_000, what: 'the final state recorded as shown' },
      );
      expect(row.reply_owner).toBe(second.g.runtime.chat!.follower.owner);
    } finally {
      await second.close();
    }
  }, 90_000);
});
