import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfirmation, getConfirmation } from '../../../db/repositories/confirmations.ts';
import { addNotice, claimNotices, getNotice } from '../../../db/repositories/notices.ts';
import type { Database } from '../../../db/schema.ts';
import { CONFIRM_ACTION } from '../../../src/bots/button-confirmations.ts';
import { withTableGone } from '../../support/platforms/database-faults.ts';
import {
  buttonClick,
  eventually,
  freshTs,
  mentionEvent,
  postSigned,
  type SlackGpuops,
  type SlackStandIns,
  shown,
  slashCommandBody,
  startSlackGpuops,
  startSlackStandIns,
} from '../../support/platforms/slack-gpuops.ts';
import { slackFormBody } from '../../support/platforms/slack-signing.ts';
import { waitFor } from '../../support/wait.ts';

const CHANNEL = 'slack:T0TEAM:C0CHAN';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Slack faults: nothing a user should hear is lost, every request is answered', () => {
  let slack: SlackStandIns;
  let bot: SlackGpuops;
  let db: Kysely<Database>;

  beforeAll(async () => {
    slack = await startSlackStandIns({ U0ALICE: 'alice', U0BOB: 'bob' });
    bot = await startSlackGpuops(slack, { mode: 'http' });
    db = bot.g.runtime.database.db;
  });
  afterAll(async () => {
    await bot?.close();
    await slack?.close();
  });

  function postsOf(text: string) {
    return slack.api.messages('C0CHAN').filter((m) => shown(m).includes(text));
  }

  it('posts a notice whose first post Slack refused later, once, and marks it delivered only after Slack took it', async () => {
    slack.api.failNext('chat.postMessage', 1, 'internal_error');
    const text = 'i-77 was running, but its machine is gone (refused once).';
    const notice = await addNotice(db, {
      channel: CHANNEL,
      reply_to: JSON.stringify({ surface: 'slack', channel: 'C0CHAN', workspace: 'T0TEAM' }),
      instance_id: null,
      text,
    });
    const afterFailure = await waitForRow(
      db,
      notice.id,
      (row) => row.attempts >= 1 && row.last_error !== null,
    );
    expect(afterFailure.delivered_at).toBeNull();
    expect(afterFailure.last_error).toContain('internal_error');
    expect(postsOf(text)).toHaveLength(0);

    const posted = await eventually('the notice, posted on a later try', () => postsOf(text)[0], 30_000);
    const row = await waitForRow(db, notice.id, (r) => r.delivered_at !== null);
    expect(row.posted_message).toBe(posted.ts);
    expect(row.attempts).toBe(2);
    // Polls keep running: it is not posted again.
    await sleep(4_500);
    expect(postsOf(text)).toHaveLength(1);
  });

  it('never posts one notice twice from two bot processes, and posts a dead process’s claim once its lease runs out', async () => {
    const second = await startSlackGpuops(slack, { mode: 'http', share: bot.g });
    try {
      const texts = Array.from({ length: 12 }, (_, i) => `Notice ${i} for two processes.`);
      const deadTexts = Array.from({ length: 3 }, (_, i) => `Notice ${i} a dead process claimed.`);
      const place = JSON.stringify({ surface: 'slack', channel: 'C0CHAN', workspace: 'T0TEAM' });
      // A process that claimed three notices and died before posting them: its lease is 1.5 s.
      const claimedAt = Date.now();
      const dead = await db.transaction().execute(async (trx) => {
        for (const text of deadTexts) {
          await addNotice(trx, { channel: CHANNEL, reply_to: place, instance_id: null, text });
        }
        return claimNotices(trx, { platform: 'slack' }, 'crashed-bot', 1_500, 300);
      });
      expect(dead.map((n) => n.text)).toEqual(deadTexts);
      await Promise.all(
        texts.map((text) => addNotice(db, { channel: CHANNEL, reply_to: place, instance_id: null, text })),
      );
      await eventually(
        'every notice posted',
        () => [...texts, ...deadTexts].every((t) => postsOf(t).length > 0),
        30_000,
      );
      // Both processes keep polling for a few rounds more: nothing is posted a second time.
      await sleep(5_000);
      for (const text of [...texts, ...deadTexts]) expect(postsOf(text), text).toHaveLength(1);
      // The dead process's claim was honoured until its lease ran out.
      for (const text of deadTexts) {
        const call = slack.api.callsTo('chat.postMessage').find((c) => String(c.body.text).includes(text));
        expect(call!.at - claimedAt).toBeGreaterThanOrEqual(1_400);
      }
      for (const notice of dead) {
        const row = await getNotice(db, notice.id);
        expect(row).toMatchObject({ delivered_at: expect.any(Date), attempts: 2 });
        expect(row!.claimed_by).not.toBe('crashed-bot');
      }
    } finally {
      await second.close();
    }
  });

  it('answers a /gpu command whose handling failed, privately, with the error code and what to do', async () => {
    const responseUrl = slack.api.responseUrl('failed-command');
    await withTableGone(db, 'inbound_events', async () => {
      const res = await postSigned(bot.http, slashCommandBody('list my instances', { responseUrl }));
      expect(res.status).toBe(200);
      const answer = await eventually('the failure answer', () =>
        slack.api.responses.find((r) => r.id === 'failed-command'),
      );
      expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
      expect(String(answer.body.text)).toMatch(/That failed \(internal\).*Try again/s);
    });
  });

  it('answers a mention whose handling failed, to its sender in its thread, with the error code', async () => {
    const ts = freshTs();
    const before = slack.api.callsTo('chat.postEphemeral').length;
    await withTableGone(db, 'inbound_events', async () => {
      const res = await postSigned(bot.http, JSON.stringify(mentionEvent('list my instances', { ts })), {
        contentType: 'application/json',
      });
      expect(res.status).toBe(200);
      const told = await eventually('the failure answer', () =>
        slack.api
          .callsTo('chat.postEphemeral')
          .slice(before)
          .find((c) => c.body.thread_ts === ts),
      );
      expect(told.body).toMatchObject({ channel: 'C0CHAN', user: 'U0ALICE' });
      expect(String(told.body.text)).toMatch(/That failed \(internal\)/);
    });
  });

  it('answers a button click whose handling failed, to whoever clicked, with the error code', async () => {
    const before = slack.api.callsTo('chat.postEphemeral').length;
    const messageTs = freshTs();
    await withTableGone(db, 'confirmations', async () => {
      const click = buttonClick({
        actionId: CONFIRM_ACTION,
        value: 'cf-0000000000000001',
        user: 'U0BOB',
        userName: 'bob',
        messageTs,
      });
      const res = await postSigned(bot.http, slackFormBody({ payload: JSON.stringify(click) }));
      expect(res.status).toBe(200);
      const told = await eventually('the failure answer', () =>
        slack.api
          .callsTo('chat.postEphemeral')
          .slice(before)
          .find((c) => c.body.user === 'U0BOB'),
      );
      expect(told.body).toMatchObject({ channel: 'C0CHAN', thread_ts: messageTs });
      expect(String(told.body.text)).toMatch(/That failed \(internal\)/);
    });
  });

  it('refuses a Confirm click whose payload names another channel: a clear answer there, nothing run, nothing posted', async () => {
    const id = 'cf-elsewhere-000001';
    const context = {
      user: 'slack:T0TEAM:U0ALICE',
      userName: 'alice',
      platform: 'slack',
      channel: CHANNEL,
      replyTo: { surface: 'slack', channel: 'C0CHAN', workspace: 'T0TEAM' },
    };
    await createConfirmation(db, {
      id,
      platform: 'slack',
      channel: CHANNEL,
      requester: context.user,
      requesterName: 'alice',
      question: 'Destroy i-424242?',
      tool: 'destroy',
      args: { instance: 'i-424242' },
      context,
      expiresAt: new Date(Date.now() + 10 * 60_000),
    });
    const ephemerals = slack.api.callsTo('chat.postEphemeral').length;
    const calls = slack.api.calls.length;
    const click = buttonClick({
      actionId: CONFIRM_ACTION,
      value: id,
      user: 'U0ALICE',
      userName: 'alice',
      channel: 'C0OTHER',
      messageTs: freshTs(),
    });
    expect((await postSigned(bot.http, slackFormBody({ payload: JSON.stringify(click) }))).status).toBe(200);
    const told = await eventually('the refusal', () =>
      slack.api
        .callsTo('chat.postEphemeral')
        .slice(ephemerals)
        .find((c) => c.body.user === 'U0ALICE'),
    );
    expect(told.body.channel).toBe('C0OTHER');
    expect(String(told.body.text)).toMatch(/asked in another channel; nothing was done/);
    await sleep(500);
    expect((await getConfirmation(db, id))?.state).toBe('pending');
    const sinceClick = slack.api.calls.slice(calls);
    expect(sinceClick.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')).toEqual(
      [],
    );
    const audited = await db.selectFrom('audit_log').select('id').where('action', '=', 'destroy').execute();
    expect(audited).toEqual([]);

    // The same click from the channel it was asked in is the requester's answer.
    const here = buttonClick({
      actionId: CONFIRM_ACTION,
      value: id,
      user: 'U0ALICE',
      userName: 'alice',
      messageTs: freshTs(),
    });
    expect((await postSigned(bot.http, slackFormBody({ payload: JSON.stringify(here) }))).status).toBe(200);
    const decided = await waitFor(
      async () => {
        const row = await getConfirmation(db, id);
        return row?.state === 'confirmed' ? row : undefined;
      },
      { timeoutMs: 30_000, what: 'the confirmation decided' },
    );
    expect(decided.decided_by).toBe('slack:T0TEAM:U0ALICE');
  });

  it('refuses requests stamped an hour or a year ahead with 401, as stale ones, and runs nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const before = slack.api.calls.length;
    for (const ahead of [3_600, 365 * 86_400, 6 * 60]) {
      const body = slashCommandBody(`list my instances ${ahead}`, {
        responseUrl: slack.api.responseUrl(`ahead-${ahead}`),
      });
      expect((await postSigned(bot.http, body, { timestamp: now + ahead })).status, `${ahead} s ahead`).toBe(
        401,
      );
    }
    // Clocks a little apart are Slack's allowance: four minutes ahead is taken.
    const near = await postSigned(bot.http, slashCommandBody('list my instances near'), {
      timestamp: now + 240,
    });
    expect(near.status).toBe(200);
    await eventually('the request within tolerance', () => postsOf('asked: list my instances near')[0]);
    expect(
      slack.api.calls.slice(before).filter((c) => /list my instances \d/.test(String(c.body.text))),
    ).toEqual([]);
    expect(slack.api.responses.filter((r) => r.id.startsWith('ahead-'))).toEqual([]);
  });

  it('refuses a 200 kB /gpu request for its length without echoing it anywhere', async () => {
    const filler = 'gpu '.repeat(50_000);
    const before = slack.api.calls.length;
    const body = slashCommandBody(`deploy a 4090 ${filler}`, { responseUrl: slack.api.responseUrl('long') });
    expect(body.length).toBeGreaterThan(200_000);
    expect((await postSigned(bot.http, body)).status).toBe(200);
    const answer = await eventually('the refusal', () => slack.api.responses.find((r) => r.id === 'long'));
    expect(String(answer.body.text)).toMatch(/\d{6} characters long; gpuops reads at most \d+/);
    expect(String(answer.body.text).length).toBeLessThan(300);
    await sleep(300);
    for (const call of slack.api.calls.slice(before)) {
      expect(JSON.stringify(call.body).length, call.method).toBeLessThan(2_000);
    }
    expect(postsOf('gpu gpu gpu')).toEqual([]);
  });
});

async function waitForRow(
  db: Kysely<Database>,
  id: number,
  ready: (row: NonNullable<Awaited<ReturnType<typeof getNotice>>>) => boolean,
) {
  return waitFor(
    async () => {
      const row = await getNotice(db, id);
      return row && ready(row) ? row : undefined;
    },
    { timeoutMs: 30_000, what: `notice ${id}` },
  );
}
