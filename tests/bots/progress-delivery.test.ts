import { WebClient } from '@slack/web-api';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperation, finishOperation, getOperation } from '../../db/repositories/operations.ts';
import type { Database, OperationRow } from '../../db/schema.ts';
import { ButtonConfirmations } from '../../src/bots/button-confirmations.ts';
import { EditBudget } from '../../src/bots/edit-budget.ts';
import { OperationFollower, type ProgressHome } from '../../src/bots/operation-follower.ts';
import { type FinalRetry, ProgressRelay } from '../../src/bots/progress-relay.ts';
import { renderProgress } from '../../src/bots/render.ts';
import { SlackSurface, type SlackWire } from '../../src/bots/slack/slack-surface.ts';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
import { JobWatcher } from '../../src/jobs/queue/job-watcher.ts';
import { type ProgressView, stepProgress } from '../../src/jobs/queue/progress.ts';
import { silentLogger } from '../../src/log.ts';
import { openTestBackends, type TestBackends, waitFor } from '../support/index.ts';
import { type SlackWebApiStandIn, startSlackWebApi } from '../support/platforms/slack-web-api.ts';

const CHANNEL = 'C0CHAN';
const TEAM = 'T0TEAM';
const quickRetries = { retries: 0 };

/**
 * Progress messages in Slack (the Web API stand-in) through the real surface, edit budget, relay
 * and follower, on a real database and queue: a final edit Slack refuses is tried again, one it
 * keeps refusing is left owed for adoption, and a final that arrives while an edit waits for the
 * workspace's budget goes out in that edit.
 */
describe('progress messages reach their final state in Slack', () => {
  let api: SlackWebApiStandIn;
  let backends: TestBackends;
  let db: Kysely<Database>;
  let watcher: JobWatcher;
  let client: WebClient;

  beforeAll(async () => {
    api = await startSlackWebApi();
    backends = await openTestBackends({ db: 'postgres', queue: 'redis' });
    db = backends.database.db;
    watcher = new JobWatcher(backends.queue, db, silentLogger, 100);
    client = new WebClient(api.options.botToken, { slackApiUrl: api.url, retryConfig: quickRetries });
  });
  afterAll(async () => {
    await watcher?.close();
    await backends?.cleanup();
    await api?.close();
  });

  function wire(budget = new EditBudget({ limit: 36, intervalMs: 60_000 })): SlackWire {
    return {
      client,
      budget,
      confirmations: new ButtonConfirmations(db, silentLogger, 60_000),
      log: silentLogger,
    };
  }

  const replyTo: ReplyTarget = { surface: 'slack', channel: CHANNEL, workspace: TEAM };

  function slackHome(w: SlackWire): ProgressHome {
    return {
      platform: 'slack',
      surfaceFor: (to) =>
        new SlackSurface(w, {
          channel: to.channel,
          ...(to.workspace && { team: to.workspace }),
          ...(to.thread && { thread: to.thread }),
        }),
    };
  }

  async function runningOperation(id: string): Promise<void> {
    const view = stepProgress({ operationId: id, kind: 'pause', startedAt: Date.now(), instance: 'i-7' }, 1);
    await createOperation(db, {
      id,
      kind: 'pause',
      args: '{}',
      requester: 'slack:T0TEAM:U0ALICE',
      channel: `slack:${TEAM}:${CHANNEL}`,
      reply_to: JSON.stringify(replyTo),
      state: 'running',
      instance_id: null,
      step: view.step,
      progress: JSON.stringify(view),
    });
  }

  const succeed = (id: string) =>
    finishOperation(db, id, { state: 'succeeded', result: { instance: 'i-7', summary: 'i-7 paused' } });

  /** The message's text as Slack now holds it. */
  const textOf = (ts: string) => api.messages(CHANNEL).find((m) => m.ts === ts)?.text ?? '';

  async function progressMessageOf(id: string): Promise<string> {
    let ts: string | undefined;
    await waitFor(
      async () => {
        ts = (await getOperation(db, id))?.reply_to.message;
        return ts !== undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    return ts!;
  }

  /** The edits of a message that carried a final state (refused or taken). */
  const finalEdits = (ts: string) =>
    api.callsTo('chat.update').filter((c) => c.body.ts === ts && /^✅/.test(String(c.body.text)));

  const row = async (id: string): Promise<OperationRow> => (await getOperation(db, id))!;

  /** A running pause followed into Slack by a follower of its own, once its message is posted. */
  async function followedPause(id: string, finalRetry: FinalRetry) {
    const w = wire();
    const follower = new OperationFollower(db, watcher, silentLogger, { progressIntervalMs: 0, finalRetry });
    await runningOperation(id);
    const following = follower.follow(
      { operationId: id, kind: 'pause', instance: 'i-7' },
      new SlackSurface(w, { channel: CHANNEL, team: TEAM }),
      replyTo,
    );
    return { w, follower, following, ts: await progressMessageOf(id) };
  }

  it('tries a final edit Slack refused once again, and marks the message shown only then', async () => {
    const id = 'op-refused-once';
    const { follower, following, ts } = await followedPause(id, {
      tries: 3,
      firstDelayMs: 300,
      maxDelayMs: 1_000,
    });
    try {
      api.failNext('chat.update', 1, 'internal_error');
      await succeed(id);

      // Refused once: the message still shows progress and nothing is marked shown yet.
      await waitFor(() => api.calls.some((c) => c.method === 'chat.update' && c.body.ts === ts), {
        timeoutMs: 10_000,
        intervalMs: 10,
      });
      expect(textOf(ts)).not.toMatch(/^✅/);
      expect((await row(id)).reply_done_at).toBeNull();

      const final = await following;
      expect(final.state).toBe('succeeded');
      expect(textOf(ts)).toBe(renderProgress(final));
      // The final state went out twice: refused, then taken.
      expect(finalEdits(ts)).toHaveLength(2);
      expect((await row(id)).reply_done_at).not.toBeNull();
    } finally {
      follower.close();
    }
  });

  it('leaves a final edit Slack keeps refusing owed, its lease let go, and adoption finishes it', async () => {
    const id = 'op-refused-always';
    const { w, follower, following, ts } = await followedPause(id, {
      tries: 2,
      firstDelayMs: 50,
      maxDelayMs: 100,
    });
    let refusing = false;
    try {
      api.failNext('chat.update', 1_000, 'service_unavailable');
      refusing = true;
      await succeed(id);

      const final = await following;
      expect(final.state).toBe('succeeded');
      // The first try and two more, all refused.
      expect(finalEdits(ts)).toHaveLength(3);
      expect(textOf(ts)).not.toMatch(/^✅/);
      const owed = await row(id);
      expect(owed.reply_done_at).toBeNull();
      expect(owed.reply_lease_until).toBeNull();

      // Slack takes edits again: the next adoption pass (here, this same process) ends it.
      api.failNext('chat.update', 0, 'service_unavailable');
      refusing = false;
      await follower.adoptOrphans(slackHome(w), 60_000);
      await waitFor(async () => (await row(id)).reply_done_at !== null, {
        timeoutMs: 15_000,
        intervalMs: 50,
      });
      expect(textOf(ts)).toBe(renderProgress(final));
    } finally {
      if (refusing) api.failNext('chat.update', 0, 'service_unavailable');
      follower.close();
    }
  });

  it('sends a final state that arrived while the edit waited for a busy workspace’s budget in that one edit', async () => {
    // One edit per 800 ms in the workspace, and another operation's edit takes the turn first.
    const w = wire(new EditBudget({ limit: 1, intervalMs: 800 }));
    const surface = new SlackSurface(w, { channel: CHANNEL, team: TEAM });
    const other = await surface.post({ kind: 'reply', text: 'another operation' });
    const base = { operationId: 'op-busy', kind: 'pause' as const, startedAt: Date.now(), instance: 'i-7' };
    const first = stepProgress(base, 0);
    const mine = await surface.post({ kind: 'progress', text: renderProgress(first), progress: first });
    const message = (v: ProgressView) => ({
      kind: 'progress' as const,
      text: renderProgress(v),
      progress: v,
    });
    const relay = new ProgressRelay(
      (v, newest) => surface.update(mine, message(v), () => message(newest())),
      0,
    );

    const otherEdit = surface.update(other, { kind: 'reply', text: 'another operation, edited' });
    relay.progress(stepProgress(base, 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const final: ProgressView = {
      ...stepProgress(base, 2),
      state: 'succeeded',
      pct: 100,
      result: { instance: 'i-7', summary: 'i-7 paused' },
    };
    const started = Date.now();
    expect(await relay.final(final)).toBe(true);
    await otherEdit;

    const edits = api.callsTo('chat.update').filter((c) => c.body.ts === mine.id);
    expect(edits).toHaveLength(1);
    expect(textOf(mine.id)).toBe(renderProgress(final));
    // It went out in the turn it was waiting for, not one turn later.
    expect(Date.now() - started).toBeLessThan(1_400);
  });
});
