import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstancePolicy, getWatch } from '../../../db/repositories/idle-policies.ts';
import { listInstances } from '../../../db/repositories/instances.ts';
import { addInstanceNotice, addNotice, getNotice } from '../../../db/repositories/notices.ts';
import { CANCEL_ACTION, CONFIRM_ACTION } from '../../../src/bots/button-confirmations.ts';
import { NOTICE_ACTION } from '../../../src/bots/notice-actions.ts';
import {
  buttonClick,
  buttonsOf,
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
import type { StoredSlackMessage } from '../../support/platforms/slack-web-api.ts';

/** The thread's messages from the bot, oldest first. */
function threadOf(slack: SlackStandIns, thread: string): StoredSlackMessage[] {
  return slack.api.messages('C0CHAN').filter((m) => m.thread_ts === thread);
}

function finalProgress(slack: SlackStandIns, thread: string): StoredSlackMessage | undefined {
  return threadOf(slack, thread).find((m) => /^(✅|❌) deploy/.test(shown(m)));
}

async function operationsIn(bot: SlackGpuops, kind: string): Promise<number> {
  const rows = await bot.g.runtime.database.db
    .selectFrom('operations')
    .select('id')
    .where('kind', '=', kind as 'deploy')
    .execute();
  return rows.length;
}

describe('Slack over Socket Mode', () => {
  let slack: SlackStandIns;
  let bot: SlackGpuops;

  beforeAll(async () => {
    slack = await startSlackStandIns({ U0ALICE: 'alice', U0BOB: 'bob' });
    // Progress at most once a second (the harness's 100 ms is for other tests): the operations
    // here then stay within the workspace's 36 edits a minute, and no question's last edit
    // waits out the budget.
    bot = await startSlackGpuops(slack, { mode: 'socket', env: { GPUOPS_PROGRESS_INTERVAL_MS: '1000' } });
    await slack.socket.waitForConnections(1);
  });
  afterAll(async () => {
    await bot?.close();
    await slack?.close();
  });

  it('deploys from a mention: one progress message in the thread, edited to the running instance', async () => {
    const ts = freshTs();
    const ack = await slack.socket.push('events_api', mentionEvent('deploy a 4090', { ts }));
    expect(ack.envelope_id).toBeTruthy();
    const final = await eventually('the final progress edit', () => finalProgress(slack, ts), 30_000);
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
    expect(shown(final)).toContain('ssh');
    expect(final.edited).toBeDefined();
    // One progress message, edited in place: no second message for the same operation.
    expect(threadOf(slack, ts).filter((m) => /deploy i-\d+|deploy ·|Queued/.test(shown(m)))).toHaveLength(1);
    const [instance] = await listInstances(bot.g.runtime.database.db, { channel: 'slack:T0TEAM:C0CHAN' });
    expect(instance?.state).toBe('running');
    // The audit log names the platform user, workspace-qualified.
    const audit = await bot.g.runtime.database.db
      .selectFrom('audit_log')
      .select(['actor', 'channel'])
      .where('action', '=', 'deploy')
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor: 'alice (slack:T0TEAM:U0ALICE)', channel: 'slack:T0TEAM:C0CHAN' });
  });

  it('waits out a 429 on its progress edits and still shows the final state', async () => {
    slack.api.rateLimit('chat.update', 2, 1);
    const ts = freshTs();
    await slack.socket.push('events_api', mentionEvent('deploy a 4090', { ts }));
    const final = await eventually('the final progress edit', () => finalProgress(slack, ts), 30_000);
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
    expect(slack.api.calls.filter((c) => c.method === 'chat.update' && c.rateLimited)).toHaveLength(2);
  });

  it('takes a redelivered event once: one deploy for the same message sent twice', async () => {
    const before = await operationsIn(bot, 'deploy');
    const ts = freshTs();
    const event = mentionEvent('deploy a 3090', { ts });
    await slack.socket.push('events_api', event);
    await slack.socket.push('events_api', event, { retryAttempt: 1, retryReason: 'timeout' });
    await eventually('the final progress edit', () => finalProgress(slack, ts), 30_000);
    expect(await operationsIn(bot, 'deploy')).toBe(before + 1);
  });

  it('continues a conversation in its thread: advise, then "deploy it" deploys the pick; another thread has nothing to deploy', async () => {
    const thread = freshTs();
    await slack.socket.push(
      'events_api',
      mentionEvent('what do I need to serve Llama 3.1 8B?', { ts: thread }),
    );
    await eventually('the advice', () => threadOf(slack, thread).find((m) => /Llama/i.test(shown(m))));
    const before = await operationsIn(bot, 'deploy');
    await slack.socket.push('events_api', {
      ...mentionEvent('deploy it', { thread }),
    });
    const final = await eventually('the deploy of the pick', () => finalProgress(slack, thread), 30_000);
    expect(shown(final)).toMatch(/^✅ deploy/);
    expect(await operationsIn(bot, 'deploy')).toBe(before + 1);

    const other = freshTs();
    await slack.socket.push('events_api', mentionEvent('deploy it', { ts: other }));
    const answer = await eventually('an answer in the other thread', () =>
      threadOf(slack, other).find((m) => /no recent recommendation in this thread/i.test(shown(m))),
    );
    expect(answer).toBeDefined();
    expect(await operationsIn(bot, 'deploy')).toBe(before + 1);
  });

  it('reads "pause it" in the thread of a deploy as that instance; in another thread it asks which', async () => {
    const thread = freshTs();
    await slack.socket.push('events_api', mentionEvent('deploy a 4090', { ts: thread }));
    const final = await eventually('the deploy', () => finalProgress(slack, thread), 30_000);
    const instance = /deploy (i-\d+) done/.exec(shown(final))![1]!;
    await slack.socket.push('events_api', mentionEvent('pause it', { thread }));
    const paused = await eventually('that instance paused', () =>
      threadOf(slack, thread).find((m) => shown(m).startsWith(`✅ pause ${instance} done`)),
    );
    expect(paused).toBeDefined();

    const pausesBefore = await operationsIn(bot, 'pause');
    const other = freshTs();
    await slack.socket.push('events_api', mentionEvent('pause it', { ts: other }));
    const asked = await eventually('an answer in the other thread', () => threadOf(slack, other)[0]);
    expect(shown(asked)).toMatch(/which instance/i);
    expect(await operationsIn(bot, 'pause')).toBe(pausesBefore);
    // Resume it again, so the tests after this one find it running.
    await slack.socket.push('events_api', mentionEvent(`resume ${instance}`, { thread }));
    await eventually('the resume', () =>
      threadOf(slack, thread).find((m) => shown(m).startsWith(`✅ resume ${instance} done`)),
    );
  });

  it('asks the requester to confirm a destroy with buttons; another user cannot; a double click destroys once', async () => {
    const [instance] = await listInstances(bot.g.runtime.database.db, {
      channel: 'slack:T0TEAM:C0CHAN',
      states: ['running'],
    });
    expect(instance).toBeDefined();
    const thread = freshTs();
    await slack.socket.push('events_api', mentionEvent(`destroy i-${instance!.id}`, { ts: thread }));
    const question = await eventually('the confirmation question', () =>
      threadOf(slack, thread).find((m) => buttonsOf(m).length === 2),
    );
    expect(shown(question)).toContain('Only alice can confirm');
    const [confirm] = buttonsOf(question).filter((b) => b.action_id === CONFIRM_ACTION);

    const ephemeralsBefore = slack.api.callsTo('chat.postEphemeral').length;
    await slack.socket.push(
      'interactive',
      buttonClick({
        actionId: CONFIRM_ACTION,
        value: confirm!.value,
        user: 'U0BOB',
        messageTs: question.ts,
        threadTs: thread,
      }),
    );
    const refusal = await eventually('the refusal to bob', () =>
      slack.api
        .callsTo('chat.postEphemeral')
        .slice(ephemeralsBefore)
        .find((c) => c.body.user === 'U0BOB'),
    );
    expect(String(refusal.body.text)).toContain('Only alice can confirm this');

    const destroysBefore = await operationsIn(bot, 'destroy');
    const click = buttonClick({
      actionId: CONFIRM_ACTION,
      value: confirm!.value,
      user: 'U0ALICE',
      userName: 'alice',
      messageTs: question.ts,
      threadTs: thread,
    });
    await Promise.all([slack.socket.push('interactive', click), slack.socket.push('interactive', click)]);
    await eventually('the destroy to end', () =>
      threadOf(slack, thread).find((m) => /^✅ destroy i-\d+ done/.test(shown(m))),
    );
    expect(await operationsIn(bot, 'destroy')).toBe(destroysBefore + 1);
    // The question lost its buttons and says who confirmed it.
    const after = slack.api.messages('C0CHAN').find((m) => m.ts === question.ts)!;
    expect(buttonsOf(after)).toHaveLength(0);
    expect(shown(after)).toContain('Confirmed by alice');
  });

  it('says an expired confirmation expired and does nothing', async () => {
    const [instance] = await listInstances(bot.g.runtime.database.db, {
      channel: 'slack:T0TEAM:C0CHAN',
      states: ['running'],
    });
    expect(instance).toBeDefined();
    const thread = freshTs();
    await slack.socket.push('events_api', mentionEvent(`destroy i-${instance!.id}`, { ts: thread }));
    const question = await eventually('the confirmation question', () =>
      threadOf(slack, thread).find((m) => buttonsOf(m).length === 2),
    );
    const [confirm] = buttonsOf(question).filter((b) => b.action_id === CONFIRM_ACTION);
    await bot.g.runtime.database.db
      .updateTable('confirmations')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', confirm!.value)
      .execute();
    const destroysBefore = await operationsIn(bot, 'destroy');
    await slack.socket.push(
      'interactive',
      buttonClick({
        actionId: CONFIRM_ACTION,
        value: confirm!.value,
        user: 'U0ALICE',
        messageTs: question.ts,
        threadTs: thread,
      }),
    );
    await eventually('the question to say it expired', () =>
      /expired; nothing was done/.test(
        shown(slack.api.messages('C0CHAN').find((m) => m.ts === question.ts)!),
      ),
    );
    expect(await operationsIn(bot, 'destroy')).toBe(destroysBefore);
    // Cancel on a fresh one ends it too, with nothing done.
    expect(CANCEL_ACTION).toBe('gpuops_cancel');
  });
});

describe('Slack with an allow-list', () => {
  let slack: SlackStandIns;
  let bot: SlackGpuops;

  beforeAll(async () => {
    slack = await startSlackStandIns();
    bot = await startSlackGpuops(slack, {
      mode: 'socket',
      env: { GPUOPS_CHAT_ALLOWED_WORKSPACES: 'T0OTHER' },
    });
  });
  afterAll(async () => {
    await bot?.close();
    await slack?.close();
  });

  it('tells a workspace outside the allow-list no, privately, and starts nothing; unknown buttons change nothing', async () => {
    await slack.socket.push('events_api', mentionEvent('deploy a 4090'));
    const refusal = await eventually('the refusal', () =>
      slack.api
        .callsTo('chat.postEphemeral')
        .find((c) => String(c.body.text).includes('not set up for this workspace')),
    );
    expect(refusal.body.user).toBe('U0ALICE');
    await slack.socket.push(
      'interactive',
      buttonClick({ actionId: 'somebody_elses_button', value: 'x', user: 'U0ALICE', messageTs: freshTs() }),
    );
    await eventually('the unknown-button answer', () =>
      slack.api.callsTo('chat.postEphemeral').find((c) => String(c.body.text).includes('not one of gpuops')),
    );
    expect(await operationsIn(bot, 'deploy')).toBe(0);
    expect(slack.api.messages()).toHaveLength(0);
  });
});

describe('Slack notices', () => {
  let slack: SlackStandIns;
  let bot: SlackGpuops;

  beforeAll(async () => {
    slack = await startSlackStandIns({ U0ALICE: 'alice', U0BOB: 'bob' });
    // Progress at most once a second (the harness's 100 ms is for other tests): the operations
    // here then stay within the workspace's 36 edits a minute, and no question's last edit
    // waits out the budget.
    bot = await startSlackGpuops(slack, { mode: 'socket', env: { GPUOPS_PROGRESS_INTERVAL_MS: '1000' } });
    await slack.socket.waitForConnections(1);
  });
  afterAll(async () => {
    await bot?.close();
    await slack?.close();
  });

  it('posts what the reconciler found in the thread the instance was deployed from, once', async () => {
    const thread = freshTs();
    await addNotice(bot.g.runtime.database.db, {
      channel: 'slack:T0TEAM:C0CHAN',
      reply_to: JSON.stringify({ surface: 'slack', channel: 'C0CHAN', workspace: 'T0TEAM', thread }),
      instance_id: null,
      text: 'i-9 was lost: its machine is gone from the marketplace.',
    });
    const posted = await eventually('the notice', () =>
      slack.api.messages('C0CHAN').find((m) => m.thread_ts === thread && shown(m).includes('i-9 was lost')),
    );
    expect(shown(posted)).toMatch(/^⚠️/);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(slack.api.messages('C0CHAN').filter((m) => shown(m).includes('i-9 was lost'))).toHaveLength(1);
  });

  it('keeps an instance running from the button under its auto-pause warning, for anyone in the channel, once', async () => {
    const db = bot.g.runtime.database.db;
    const thread = freshTs();
    await slack.socket.push('events_api', mentionEvent('deploy a 4090', { ts: thread }));
    await eventually('the deploy to end', () => finalProgress(slack, thread), 30_000);
    const [instance] = await listInstances(db, { channel: 'slack:T0TEAM:C0CHAN', states: ['running'] });
    const ref = `i-${instance!.id}`;
    await slack.socket.push(
      'events_api',
      mentionEvent(`auto-pause ${ref} after 15 minutes idle`, { thread }),
    );
    await eventually('the policy set', () =>
      threadOf(slack, thread).find((m) => shown(m).includes(`${ref} will be paused when its GPUs`)),
    );
    expect(await getInstancePolicy(db, instance!.id)).toBeDefined();
    // The warning as the idle check leaves it, button and all.
    await addInstanceNotice(db, instance!, `${ref} has been idle for 15 min. It will be paused in 5 min.`, [
      { label: `Keep ${ref} running`, tool: 'keep_running', args: { instance: ref } },
    ]);
    const warning = await eventually('the warning with its button', () =>
      threadOf(slack, thread).find((m) => shown(m).includes('has been idle') && buttonsOf(m).length === 1),
    );
    const [keep] = buttonsOf(warning);
    expect(keep!.text.text).toBe(`Keep ${ref} running`);

    // Not the deployer: anyone in the channel the notice went to may answer it.
    const click = buttonClick({
      actionId: keep!.action_id,
      value: keep!.value!,
      user: 'U0BOB',
      userName: 'bob',
      messageTs: warning.ts,
      threadTs: thread,
    });
    await Promise.all([slack.socket.push('interactive', click), slack.socket.push('interactive', click)]);
    const answer = await eventually('the answer in the thread', () =>
      threadOf(slack, thread).find((m) => shown(m).includes(`OK, ${ref} keeps running`)),
    );
    expect(shown(answer)).toContain('no auto-pause for');
    const watch = await getWatch(db, instance!.id);
    expect(watch?.snoozed_by).toBe('bob (slack:T0TEAM:U0BOB)');
    expect(watch?.snoozed_until?.getTime()).toBeGreaterThan(Date.now());
    // The warning lost its button and says who answered it; the second click did nothing more.
    const after = slack.api.messages('C0CHAN').find((m) => m.ts === warning.ts)!;
    expect(buttonsOf(after)).toHaveLength(0);
    expect(shown(after)).toContain(`bob chose “Keep ${ref} running”`);
    await eventually('the second click told it was done already', () =>
      slack.api
        .callsTo('chat.postEphemeral')
        .find((c) => String(c.body.text).includes('bob already acted on this')),
    );
    const audits = await db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'keep-running')
      .execute();
    expect(audits).toHaveLength(1);
  });

  it("refuses a notice's button clicked from another channel, or one naming no notice, and runs nothing", async () => {
    const db = bot.g.runtime.database.db;
    const notice = await addNotice(db, {
      channel: 'slack:T0TEAM:C0CHAN',
      reply_to: null,
      instance_id: null,
      text: 'i-77 has been idle.',
      actions: JSON.stringify([
        { label: 'Keep i-77 running', tool: 'keep_running', args: { instance: 'i-77' } },
      ]),
    });
    const before = slack.api.callsTo('chat.postEphemeral').length;
    for (const [channel, value] of [
      ['C0OTHER', `${notice.id}:0`],
      ['C0CHAN', `${notice.id}:5`],
      ['C0CHAN', '999999:0'],
      ['C0CHAN', 'drop table'],
    ] as const) {
      await slack.socket.push(
        'interactive',
        buttonClick({ actionId: `${NOTICE_ACTION}0`, value, user: 'U0BOB', channel, messageTs: freshTs() }),
      );
    }
    const refusals = await eventually('four refusals', () => {
      const texts = slack.api
        .callsTo('chat.postEphemeral')
        .slice(before)
        .map((c) => String(c.body.text))
        .filter((t) => t.includes('nothing was done'));
      return texts.length >= 4 ? texts : undefined;
    });
    // The clicks are handled concurrently, so their answers may come in any order.
    expect(refusals.sort()).toEqual([
      'That button belongs to a notice for another channel; nothing was done.',
      'That button is not one gpuops knows; nothing was done.',
      'That button is not one gpuops knows; nothing was done.',
      'That button is not one gpuops knows; nothing was done.',
    ]);
    expect((await getNotice(db, notice.id))?.acted_at).toBeNull();
  });
});

describe('Slack over HTTP', () => {
  let slack: SlackStandIns;
  let bot: SlackGpuops;

  beforeAll(async () => {
    slack = await startSlackStandIns({ U0ALICE: 'alice' });
    bot = await startSlackGpuops(slack, { mode: 'http' });
  });
  afterAll(async () => {
    await bot?.close();
    await slack?.close();
  });

  it('acknowledges /gpu at once and deploys in a thread of the posted request', async () => {
    const res = await postSigned(bot.http, slashCommandBody('deploy a 4090', { user: 'U0ALICE' }));
    expect(res.status).toBe(200);
    const parent = await eventually('the request posted in the channel', () =>
      slack.api.messages('C0CHAN').find((m) => !m.thread_ts && m.text.includes('asked: deploy a 4090')),
    );
    const final = await eventually('the final progress edit', () => finalProgress(slack, parent.ts), 30_000);
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
  });

  it('refuses forged signatures, stale timestamps and malformed bodies with nothing run', async () => {
    const before = await operationsIn(bot, 'deploy');
    const body = slashCommandBody('deploy a 4090');
    expect((await postSigned(bot.http, body, { secret: 'wrong-secret' })).status).toBe(401);
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await postSigned(bot.http, body, { timestamp: sixMinutesAgo })).status).toBe(401);
    const unsigned = await fetch(`${bot.http.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const malformed = await postSigned(bot.http, '{"type":', { contentType: 'application/json' });
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    const oddPayload = await postSigned(bot.http, slackFormBody({ payload: '{"type":"block_actions"' }));
    expect(oddPayload.status).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(await operationsIn(bot, 'deploy')).toBe(before);
  });

  it('answers an oversized request clearly, to the requester, and starts nothing', async () => {
    const before = await operationsIn(bot, 'deploy');
    const res = await postSigned(
      bot.http,
      slashCommandBody(`deploy a 4090 ${'please '.repeat(1_000)}`, {
        responseUrl: slack.api.responseUrl('oversized'),
      }),
    );
    expect(res.status).toBe(200);
    const answer = await eventually('the too-long answer', () =>
      slack.api.responses.find((r) => r.id === 'oversized'),
    );
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.body.text)).toMatch(/characters long; gpuops reads at most/);
    expect(slack.api.messages('C0CHAN').filter((m) => m.text.includes('please please'))).toEqual([]);
    expect(await operationsIn(bot, 'deploy')).toBe(before);
  });
});
