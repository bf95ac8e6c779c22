import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIMessage } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasConversation } from '../../../db/repositories/conversations.ts';
import { listInstances } from '../../../db/repositories/instances.ts';
import { addInstanceNotice, addNotice, listNotices } from '../../../db/repositories/notices.ts';
import { CANCEL_ACTION, CONFIRM_ACTION } from '../../../src/bots/button-confirmations.ts';
import { type Simulator, startSimulator } from '../../../src/cloud/sim/index.ts';
import { startTestGpuops, type TestGpuops } from '../../support/gpuops-harness.ts';
import {
  BOB,
  botMessagesIn,
  buttonsOf,
  type DiscordGpuops,
  type DiscordStandIns,
  eventually,
  finalDeployIn,
  mentioning,
  progressMessagesIn,
  shown,
  startDiscordGpuops,
  startDiscordStandIns,
} from '../../support/platforms/discord-gpuops.ts';
import { DEFAULT_DISCORD_IDS, MESSAGE_FLAGS } from '../../support/platforms/discord-rest.ts';

const { application: APP_ID, guild: GUILD_ID, channel: CHANNEL_ID } = DEFAULT_DISCORD_IDS;
/** The channel gpuops files the guild channel's instances under. */
const GPUOPS_CHANNEL = `discord:${GUILD_ID}:${CHANNEL_ID}`;

describe('Discord through discord.js against the stand-ins', () => {
  let discord: DiscordStandIns;
  let bot: DiscordGpuops;

  beforeAll(async () => {
    discord = await startDiscordStandIns();
    // Progress at most once a second (the default; the harness's 100 ms is for other tests): each
    // thread then stays within the bot's 4 edits per 5 s, and no final edit waits out the budget.
    bot = await startDiscordGpuops(discord, { env: { GPUOPS_PROGRESS_INTERVAL_MS: '1000' } });
  });
  afterAll(async () => {
    await bot?.close();
    await discord?.close();
  });

  async function operationsOf(kind: 'deploy' | 'destroy'): Promise<number> {
    const rows = await bot.g.runtime.database.db
      .selectFrom('operations')
      .select('id')
      .where('kind', '=', kind)
      .execute();
    return rows.length;
  }

  /** Deploys a 4090 from a mention and returns the running instance's label (`i-N`). */
  async function deployedInstance(): Promise<string> {
    const request = discord.gateway.messageCreate({ content: mentioning('deploy a 4090') });
    const final = await eventually(
      'the deploy to end',
      () => finalDeployIn(discord.rest, request.id),
      30_000,
    );
    const label = /^✅ deploy (i-\d+) done/.exec(shown(final))?.[1];
    expect(label, shown(final)).toBeDefined();
    return label!;
  }

  /** Asks to destroy `label` with a mention; resolves with its thread and the question with buttons. */
  async function destroyQuestion(label: string): Promise<{ thread: string; question: APIMessage }> {
    const request = discord.gateway.messageCreate({ content: mentioning(`destroy ${label}`) });
    const question = await eventually('the confirmation question', () =>
      botMessagesIn(discord.rest, request.id).find((m) => buttonsOf(m).length === 2),
    );
    return { thread: request.id, question };
  }

  function responseTo(interactionId: string) {
    return discord.rest.interactionResponses.find((r) => r.interactionId === interactionId);
  }

  it('deploys from a mention: a thread made from the message, one progress message edited to the final state', async () => {
    const request = discord.gateway.messageCreate({ content: mentioning('deploy a 4090') });
    const final = await eventually(
      'the final progress edit',
      () => finalDeployIn(discord.rest, request.id),
      30_000,
    );

    // The thread was made from the request's message (and so has its id).
    expect(discord.rest.callsTo(`POST /channels/${CHANNEL_ID}/messages/${request.id}/threads`)).toEqual([
      expect.objectContaining({ status: 201, token: discord.rest.token }),
    ]);
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
    expect(shown(final)).toContain('ssh');
    expect(final.edited_timestamp).not.toBeNull();
    // One progress message, edited in place through the bot's token.
    expect(progressMessagesIn(discord.rest, request.id, 'deploy')).toEqual([final]);
    const edits = discord.rest.callsTo(`PATCH /channels/${request.id}/messages/${final.id}`);
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.every((c) => c.status === 200 && c.token === discord.rest.token)).toBe(true);
    // Nothing went to the channel itself.
    expect(botMessagesIn(discord.rest, CHANNEL_ID).filter((m) => BigInt(m.id) > BigInt(request.id))).toEqual(
      [],
    );
    const label = /deploy (i-\d+)/.exec(shown(final))![1]!;
    const instances = await listInstances(bot.g.runtime.database.db, { channel: GPUOPS_CHANNEL });
    expect(instances.find((i) => `i-${i.id}` === label)?.state).toBe('running');
  });

  it('answers /gpu: deferred at once, "asked" in the original reply, progress edited with the bot token past the interaction token', async () => {
    const sent = discord.gateway.slashCommand({
      name: 'gpu',
      options: [{ name: 'request', type: 3, value: 'deploy a 3090' }],
    });
    const sentAt = Date.now();
    const deferred = await eventually('the deferral', () => responseTo(sent.id));
    expect(Date.now() - sentAt).toBeLessThan(1_500);
    expect(deferred.type).toBe(5);

    const originalEdit = `PATCH /webhooks/${APP_ID}/${sent.token}/messages/@original`;
    const asked = await eventually('the original reply edited', () => discord.rest.callsTo(originalEdit)[0]);
    expect(asked.status).toBe(200);
    expect(asked.body.content).toBe('**Alice** asked: deploy a 3090');
    // From now on the interaction token is past its 15 minutes: nothing may need it any more.
    discord.advanceClock(16 * 60_000);
    const original = [...discord.rest.messages.values()].find(
      (m) => m.channel_id === CHANNEL_ID && m.content === '**Alice** asked: deploy a 3090',
    );
    expect(original).toMatchObject({ type: 20, webhook_id: APP_ID });
    const thread = original!.id;

    const final = await eventually(
      'the final progress edit',
      () => finalDeployIn(discord.rest, thread),
      30_000,
    );
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
    expect(progressMessagesIn(discord.rest, thread, 'deploy')).toHaveLength(1);
    // Progress went through the bot token's channel routes, never the interaction's webhook.
    const edits = discord.rest.callsTo(`PATCH /channels/${thread}/messages/${final.id}`);
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.every((c) => c.status === 200 && c.token === discord.rest.token)).toBe(true);
    const webhookCalls = discord.rest.calls.filter((c) =>
      c.path.startsWith(`/webhooks/${APP_ID}/${sent.token}`),
    );
    expect(webhookCalls.map((c) => `${c.method} ${c.status}`)).toEqual(['PATCH 200']);
    expect(discord.rest.calls.filter((c) => c.status === 401)).toEqual([]);
  });

  it('keeps a thread’s conversation: advice, then "deploy it" in the thread without a mention; another thread has nothing to deploy', async () => {
    const ask = discord.gateway.messageCreate({
      content: mentioning('what do I need to serve Llama 3.1 8B?'),
    });
    const thread = ask.id;
    await eventually('the advice in its thread', () =>
      botMessagesIn(discord.rest, thread).find((m) => /Llama/i.test(shown(m))),
    );
    // A person reads the advice before answering; the turn is stored just after it is posted.
    await eventually('the stored turn', () =>
      hasConversation(bot.g.runtime.database.db, `${GPUOPS_CHANNEL}:${thread}`),
    );
    const before = await operationsOf('deploy');
    discord.gateway.messageCreate({ channelId: thread, content: 'deploy it' });
    const final = await eventually(
      'the deploy of the pick',
      () => finalDeployIn(discord.rest, thread),
      30_000,
    );
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
    expect(await operationsOf('deploy')).toBe(before + 1);

    const elsewhere = discord.gateway.messageCreate({ content: mentioning('deploy it') });
    const answer = await eventually('the answer in the other thread', () =>
      botMessagesIn(discord.rest, elsewhere.id).find((m) =>
        /no recent recommendation in this thread/i.test(shown(m)),
      ),
    );
    expect(answer).toBeDefined();
    expect(await operationsOf('deploy')).toBe(before + 1);
  });

  it('asks the requester to confirm a destroy with buttons; another user cannot; a double click destroys once', async () => {
    const label = await deployedInstance();
    const { thread, question } = await destroyQuestion(label);
    expect(shown(question)).toContain('Only Alice can confirm');
    const [confirm, cancel] = buttonsOf(question);
    expect(confirm).toMatch(new RegExp(`^${CONFIRM_ACTION}:cf-`));
    expect(cancel).toMatch(new RegExp(`^${CANCEL_ACTION}:cf-`));
    const destroysBefore = await operationsOf('destroy');

    const byBob = discord.gateway.buttonClick({ customId: confirm!, message: question.id, user: BOB });
    const refusal = await eventually('the refusal to Bob', () => responseTo(byBob.id));
    expect(refusal).toMatchObject({ type: 4, data: { flags: MESSAGE_FLAGS.ephemeral } });
    expect(String(refusal.data?.content)).toContain('Only Alice can confirm this');
    expect(buttonsOf(discord.rest.messages.get(question.id)!)).toHaveLength(2);
    expect(await operationsOf('destroy')).toBe(destroysBefore);

    const clicks = [
      discord.gateway.buttonClick({ customId: confirm!, message: question.id }),
      discord.gateway.buttonClick({ customId: confirm!, message: question.id }),
    ];
    const done = new RegExp(`^✅ destroy ${label} done`);
    await eventually('the destroy to end', () =>
      botMessagesIn(discord.rest, thread).find((m) => done.test(shown(m))),
    );
    const responses = await eventually('both clicks answered', () => {
      const answered = clicks.map((c) => responseTo(c.id));
      return answered.every(Boolean) && answered;
    });
    // One click updated the question; the other was told it already ran, privately.
    expect(responses.map((r) => r?.type).sort()).toEqual([4, 7]);
    expect(responses.find((r) => r?.type === 4)?.data).toMatchObject({
      flags: MESSAGE_FLAGS.ephemeral,
      content: expect.stringContaining('Already confirmed'),
    });
    expect(await operationsOf('destroy')).toBe(destroysBefore + 1);
    const after = discord.rest.messages.get(question.id)!;
    expect(buttonsOf(after)).toEqual([]);
    expect(shown(after)).toContain('Confirmed by Alice');
  });

  it('says an expired confirmation expired and runs nothing', async () => {
    const label = await deployedInstance();
    const { question } = await destroyQuestion(label);
    const confirm = buttonsOf(question).find((id) => id.startsWith(`${CONFIRM_ACTION}:`))!;
    await bot.g.runtime.database.db
      .updateTable('confirmations')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('id', '=', confirm.slice(CONFIRM_ACTION.length + 1))
      .execute();
    const destroysBefore = await operationsOf('destroy');

    const click = discord.gateway.buttonClick({ customId: confirm, message: question.id });
    await eventually('the question to say it expired', () => responseTo(click.id));
    const after = discord.rest.messages.get(question.id)!;
    expect(shown(after)).toMatch(/expired; nothing was done/);
    expect(buttonsOf(after)).toEqual([]);
    expect(await operationsOf('destroy')).toBe(destroysBefore);

    // Cancel ends a fresh question the same way: buttons gone, nothing run.
    const again = await destroyQuestion(label);
    const cancel = buttonsOf(again.question).find((id) => id.startsWith(`${CANCEL_ACTION}:`))!;
    const cancelClick = discord.gateway.buttonClick({ customId: cancel, message: again.question.id });
    expect(await eventually('the cancel answered', () => responseTo(cancelClick.id))).toMatchObject({
      type: 7,
    });
    const cancelled = discord.rest.messages.get(again.question.id)!;
    expect(shown(cancelled)).toContain('Cancelled by Alice');
    expect(buttonsOf(cancelled)).toEqual([]);
    expect(await operationsOf('destroy')).toBe(destroysBefore);
    const [instance] = (
      await listInstances(bot.g.runtime.database.db, { channel: GPUOPS_CHANNEL, states: ['running'] })
    ).filter((i) => `i-${i.id}` === label);
    expect(instance?.state).toBe('running');
  });

  it('runs a confirmed destroy even when the click’s answer does not reach Discord', async () => {
    const label = await deployedInstance();
    const { thread, question } = await destroyQuestion(label);
    const confirm = buttonsOf(question).find((id) => id.startsWith(`${CONFIRM_ACTION}:`))!;
    const click = discord.gateway.buttonClick({ customId: confirm, message: question.id });
    // As when the 3 s to answer an interaction ran out: the update of the question is refused.
    discord.rest.failNext(`POST /interactions/${click.id}/`, {
      status: 404,
      code: 10062,
      message: 'Unknown interaction',
    });
    const done = new RegExp(`^✅ destroy ${label} done`);
    await eventually('the destroy to end', () =>
      botMessagesIn(discord.rest, thread).find((m) => done.test(shown(m))),
    );
    expect(discord.rest.calls.filter((c) => c.path.startsWith(`/interactions/${click.id}/`))).toEqual([
      expect.objectContaining({ status: 404 }),
    ]);
  });

  it('answers a mention of its managed role, which Discord offers beside the bot itself', async () => {
    const roleId = '1600000000000000001';
    discord.gateway.dispatch('GUILD_ROLE_CREATE', {
      guild_id: GUILD_ID,
      role: {
        id: roleId,
        name: 'gpuops',
        color: 0,
        hoist: false,
        position: 1,
        permissions: '0',
        managed: true,
        mentionable: false,
        flags: 0,
        tags: { bot_id: APP_ID },
      },
    });
    const request = discord.gateway.messageCreate({ content: `<@&${roleId}> list my instances` });
    const answer = await eventually(
      'the answer in its thread',
      () => botMessagesIn(discord.rest, request.id)[0],
    );
    expect(shown(answer)).toMatch(/instance/i);
    // The role addressed the bot: the thread is named after the request alone.
    expect(discord.rest.channel(request.id)?.name).toBe('list my instances');
  });

  it('ignores bots, itself included; takes a redelivered message once; answers a direct message there', async () => {
    const deploysBefore = await operationsOf('deploy');
    const fromBot = discord.gateway.messageCreate({
      content: mentioning('deploy a 4090'),
      author: { id: '1500000000000000001', username: 'otherbot', bot: true },
    });
    const fromItself = discord.gateway.messageCreate({
      content: mentioning('deploy a 4090'),
      author: discord.rest.botUser,
    });

    const request = discord.gateway.messageCreate({ content: mentioning('deploy a 3090') });
    discord.gateway.redeliver(request);
    await eventually('the final progress edit', () => finalDeployIn(discord.rest, request.id), 30_000);
    expect(progressMessagesIn(discord.rest, request.id, 'deploy')).toHaveLength(1);
    expect(discord.rest.callsTo(`/messages/${request.id}/threads`)).toHaveLength(1);

    const dm = discord.rest.snowflake();
    discord.gateway.messageCreate({ channelId: dm, content: 'list my instances' });
    const answer = await eventually('the answer in the DM', () => botMessagesIn(discord.rest, dm)[0]);
    expect(shown(answer)).toMatch(/^No active instances/);
    expect(answer.message_reference).toBeUndefined();

    // /gpu works in the DM too: "asked" in its reply, the answer in the DM itself.
    const command = discord.gateway.slashCommand({
      name: 'gpu',
      channelId: dm,
      options: [{ name: 'request', type: 3, value: 'list my instances' }],
    });
    await eventually('the second answer in the DM', () => {
      const answers = botMessagesIn(discord.rest, dm).filter((m) => /^No active instances/.test(shown(m)));
      return answers.length === 2;
    });
    expect(responseTo(command.id)?.type).toBe(5);
    expect(discord.rest.channelMessages(dm).map((m) => shown(m))).toEqual([
      'list my instances',
      expect.stringMatching(/^No active instances/),
      '**Alice** asked: list my instances',
      expect.stringMatching(/^No active instances/),
    ]);

    // Everything sent before the DM was handled by now: the bots' messages got nothing.
    for (const ignored of [fromBot, fromItself]) {
      expect(discord.rest.callsTo(`/messages/${ignored.id}/threads`)).toEqual([]);
      expect(
        [...discord.rest.messages.values()].filter((m) => m.message_reference?.message_id === ignored.id),
      ).toEqual([]);
    }
    expect(await operationsOf('deploy')).toBe(deploysBefore + 1);
  });

  it('answers with replies in the channel where it may not make threads', async () => {
    discord.rest.failNext(new RegExp(`^POST /channels/${CHANNEL_ID}/messages/\\d+/threads$`), {
      status: 403,
      code: 50013,
      message: 'Missing Permissions',
    });
    const request = discord.gateway.messageCreate({ content: mentioning('deploy a 4090') });
    const repliesTo = () =>
      botMessagesIn(discord.rest, CHANNEL_ID).filter((m) => m.message_reference?.message_id === request.id);
    const final = await eventually(
      'the final progress edit in the channel',
      () => repliesTo().find((m) => /^(✅|❌) deploy/.test(shown(m))),
      30_000,
    );
    expect(shown(final)).toMatch(/^✅ deploy i-\d+ done/);
    expect(final.type).toBe(19);
    expect(discord.rest.calls.filter((c) => c.path.endsWith(`/messages/${request.id}/threads`))).toEqual([
      expect.objectContaining({ status: 403 }),
    ]);
    expect(discord.rest.channel(request.id)).toBeUndefined();
    expect(repliesTo().filter((m) => /^(🕓|⏳|✅|❌) deploy/.test(shown(m)))).toEqual([final]);
  });

  it('posts a notice the reconciler left in the thread the instance came from, once', async () => {
    const request = discord.gateway.messageCreate({ content: mentioning('list my instances') });
    const thread = request.id;
    await eventually('the thread', () => botMessagesIn(discord.rest, thread)[0]);
    const notice = await addNotice(bot.g.runtime.database.db, {
      channel: GPUOPS_CHANNEL,
      reply_to: JSON.stringify({ surface: 'discord', channel: CHANNEL_ID, workspace: GUILD_ID, thread }),
      instance_id: null,
      text: 'i-9 was lost: its machine is gone from the marketplace.',
    });
    const posted = await eventually('the notice in the thread', () =>
      botMessagesIn(discord.rest, thread).find((m) => shown(m).includes('i-9 was lost')),
    );
    expect(shown(posted)).toMatch(/^⚠️ i-9 was lost/);
    const [row] = await listNotices(bot.g.runtime.database.db, GPUOPS_CHANNEL);
    expect(row).toMatchObject({ id: notice.id, delivered_at: expect.any(Date) });
  });

  it("runs a notice's button as whoever in the channel clicks it, asking them to confirm what destroys", async () => {
    const label = await deployedInstance();
    const db = bot.g.runtime.database.db;
    const [instance] = (await listInstances(db, { channel: GPUOPS_CHANNEL, states: ['running'] })).filter(
      (i) => `i-${i.id}` === label,
    );
    // As the health monitor leaves it for a lost instance without auto-failover.
    await addInstanceNotice(db, instance!, `${label} is lost: its machine stopped answering.`, [
      { label: `Destroy ${label}`, tool: 'destroy', args: { instance: label } },
    ]);
    const deploy = await db
      .selectFrom('operations')
      .select('reply_to')
      .where('id', '=', instance!.operation_id)
      .executeTakeFirstOrThrow();
    const thread = deploy.reply_to.thread!;
    const notice = await eventually('the notice with its button', () =>
      botMessagesIn(discord.rest, thread).find(
        (m) => shown(m).includes('is lost') && buttonsOf(m).length === 1,
      ),
    );
    const [destroy] = buttonsOf(notice);
    expect(destroy).toMatch(/^gpuops_notice_0:\d+:0$/);
    const destroysBefore = await operationsOf('destroy');

    const click = discord.gateway.buttonClick({ customId: destroy!, message: notice.id, user: BOB });
    expect(await eventually('the notice updated', () => responseTo(click.id))).toMatchObject({ type: 7 });
    const after = discord.rest.messages.get(notice.id)!;
    expect(buttonsOf(after)).toEqual([]);
    expect(shown(after)).toContain(`Bob chose “Destroy ${label}”`);
    // A click is not a confirmation: Bob, who clicked, is asked; nothing is destroyed yet.
    const question = await eventually('the confirmation question', () =>
      botMessagesIn(discord.rest, thread).find((m) => buttonsOf(m).length === 2),
    );
    expect(shown(question)).toContain('Only Bob can confirm');
    expect(await operationsOf('destroy')).toBe(destroysBefore);

    const again = discord.gateway.buttonClick({ customId: destroy!, message: notice.id, user: BOB });
    expect((await eventually('the second click answered', () => responseTo(again.id)))?.data).toMatchObject({
      flags: MESSAGE_FLAGS.ephemeral,
      content: expect.stringContaining('already acted on this'),
    });
    const confirm = buttonsOf(question).find((id) => id.startsWith(`${CONFIRM_ACTION}:`))!;
    discord.gateway.buttonClick({ customId: confirm, message: question.id, user: BOB });
    await eventually('the destroy to end', () =>
      botMessagesIn(discord.rest, thread).find((m) => new RegExp(`^✅ destroy ${label} done`).test(shown(m))),
    );
    expect(await operationsOf('destroy')).toBe(destroysBefore + 1);
  });

  it('keeps every message within 2000 characters, however long the answer', async () => {
    const request = discord.gateway.messageCreate({ content: mentioning('what GPUs are available?') });
    // The turn's answer is stored once the whole answer is posted.
    await eventually('the whole answer', async () => {
      const turn = await bot.g.runtime.database.db
        .selectFrom('conversation_turns')
        .select('assistant_text')
        .where('conversation', '=', `${GPUOPS_CHANNEL}:${request.id}`)
        .executeTakeFirst();
      return turn !== undefined && turn.assistant_text !== '(answering)';
    });
    const answers = botMessagesIn(discord.rest, request.id);
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.map((m) => shown(m)).join('\n').length).toBeGreaterThan(2_000);
    const bodies = discord.rest.calls.filter((c) => c.method === 'POST' || c.method === 'PATCH');
    for (const call of bodies) {
      const content = call.body.content;
      if (typeof content === 'string')
        expect(content.length, `${call.method} ${call.path}`).toBeLessThanOrEqual(2_000);
    }
    expect(discord.rest.calls.filter((c) => c.status === 400)).toEqual([]);
  });
});

describe('a Discord bot restarted while a deploy runs', () => {
  let discord: DiscordStandIns;
  let sim: Simulator;
  let simDir: string;
  let workers: TestGpuops;

  beforeAll(async () => {
    simDir = await mkdtemp(path.join(tmpdir(), 'gpuops-discord-restart-sim-'));
    // Slow enough that the deploy is still booting when the first bot stops.
    sim = await startSimulator({ timeScale: 0.15, offers: 400, dataDir: simDir });
    discord = await startDiscordStandIns();
    workers = await startTestGpuops({ db: 'postgres', queue: 'postgres', role: 'worker', sim });
  });
  afterAll(async () => {
    await workers?.close();
    await discord?.close();
    await sim?.close();
    if (simDir) await rm(simDir, { recursive: true, force: true });
  });

  it('gives the progress message its last word on the way down, and the next bot edits it to the final state', async () => {
    const first = await startDiscordGpuops(discord, { role: 'bot', share: workers });
    const request = discord.gateway.messageCreate({ content: mentioning('deploy a 4090') });
    const thread = request.id;
    const progress = await eventually('the progress message', () =>
      botMessagesIn(discord.rest, thread).find((m) => /^(🕓|⏳) deploy/.test(shown(m))),
    );
    // Closed once the message is on record (a shutdown between the post and that is another story).
    await eventually('the progress message on record', async () => {
      const op = await workers.runtime.database.db
        .selectFrom('operations')
        .select('reply_owner')
        .where('kind', '=', 'deploy')
        .executeTakeFirst();
      return op?.reply_owner === first.g.runtime.chat!.follower.owner;
    });
    await first.close();
    // The Discord client stopped listening, but its REST token still edited the message.
    const afterStop = discord.rest.messages.get(progress.id)!;
    expect(shown(afterStop)).not.toMatch(/^✅/);
    expect(shown(afterStop)).toContain('the operation continues on the workers');

    const second = await startDiscordGpuops(discord, { role: 'bot', share: workers });
    try {
      const final = await eventually(
        'the same message edited to the final state',
        () => {
          const m = discord.rest.messages.get(progress.id)!;
          return /^✅ deploy i-\d+ done/.test(shown(m)) && m;
        },
        60_000,
      );
      expect(shown(final)).toContain('ssh');
      expect(progressMessagesIn(discord.rest, thread, 'deploy')).toHaveLength(1);
      // The final state is recorded as shown just after the edit.
      const row = await eventually('the final state recorded as shown', async () => {
        const op = await second.g.runtime.database.db
          .selectFrom('operations')
          .select(['reply_done_at', 'reply_owner'])
          .where('kind', '=', 'deploy')
          .executeTakeFirstOrThrow();
        return op.reply_done_at !== null && op;
      });
      expect(row.reply_owner).toBe(second.g.runtime.chat!.follower.owner);
    } finally {
      await second.close();
    }
  }, 60_000);
});
