import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfirmation, getConfirmation } from '../../../db/repositories/confirmations.ts';
import { addNotice, claimNotices, getNotice } from '../../../db/repositories/notices.ts';
import type { Database } from '../../../db/schema.ts';
import { CONFIRM_ACTION } from '../../../src/bots/button-confirmations.ts';
import { withTableGone } from '../../support/platforms/database-faults.ts';
import {
  botMessagesIn,
  type DiscordGpuops,
  type DiscordStandIns,
  eventually,
  mentioning,
  shown,
  startDiscordGpuops,
  startDiscordStandIns,
} from '../../support/platforms/discord-gpuops.ts';
import { DEFAULT_DISCORD_IDS, MESSAGE_FLAGS } from '../../support/platforms/discord-rest.ts';
import { waitFor } from '../../support/wait.ts';

const { application: APP_ID, guild: GUILD_ID, channel: CHANNEL_ID } = DEFAULT_DISCORD_IDS;
const OTHER_CHANNEL_ID = '1300000000000000002';
const GPUOPS_CHANNEL = `discord:${GUILD_ID}:${CHANNEL_ID}`;

describe('Discord faults: every request is answered, notices arrive once, clicks stay in their channel', () => {
  let discord: DiscordStandIns;
  let bot: DiscordGpuops;
  let db: Kysely<Database>;

  beforeAll(async () => {
    discord = await startDiscordStandIns({
      guilds: [
        {
          id: GUILD_ID,
          name: 'gpuops-test',
          channels: [
            { id: CHANNEL_ID, name: 'gpu-ops' },
            { id: OTHER_CHANNEL_ID, name: 'elsewhere' },
          ],
        },
      ],
    });
    bot = await startDiscordGpuops(discord);
    db = bot.g.runtime.database.db;
  });
  afterAll(async () => {
    await bot?.close();
    await discord?.close();
  });

  const responseTo = (id: string) => discord.rest.interactionResponses.find((r) => r.interactionId === id);

  /** A message of the bot's to click buttons on: any will do, the click names the confirmation. */
  async function someBotMessage(): Promise<string> {
    const request = discord.gateway.messageCreate({ content: mentioning('list my instances') });
    const answer = await eventually('an answer', () => botMessagesIn(discord.rest, request.id)[0], 30_000);
    return answer.id;
  }

  it('answers a message whose handling failed, as a reply to it, with the error code', async () => {
    await withTableGone(db, 'inbound_events', async () => {
      const request = discord.gateway.messageCreate({ content: mentioning('list my instances') });
      const told = await eventually('the failure answer', () =>
        botMessagesIn(discord.rest, CHANNEL_ID).find((m) => m.message_reference?.message_id === request.id),
      );
      expect(shown(told)).toMatch(/That failed \(internal\).*Try again/s);
    });
  });

  it('answers a /gpu whose handling failed in its deferred reply (no "did not respond"), with the error code', async () => {
    await withTableGone(db, 'inbound_events', async () => {
      const sent = discord.gateway.slashCommand({
        name: 'gpu',
        options: [{ name: 'request', type: 3, value: 'list my instances' }],
      });
      await eventually('the deferral', () => responseTo(sent.id));
      const followUp = await eventually(
        'the failure answer',
        () => discord.rest.callsTo(`POST /webhooks/${APP_ID}/${sent.token}`)[0],
      );
      expect(followUp.status).toBe(200);
      expect(String(followUp.body.content)).toMatch(/That failed \(internal\)/);
    });
  });

  it('answers a button click whose handling failed, privately, with the error code', async () => {
    const message = await someBotMessage();
    await withTableGone(db, 'confirmations', async () => {
      const click = discord.gateway.buttonClick({
        customId: `${CONFIRM_ACTION}:cf-0000000000000001`,
        message,
      });
      const answer = await eventually('the failure answer', () => responseTo(click.id));
      expect(answer).toMatchObject({ type: 4, data: { flags: MESSAGE_FLAGS.ephemeral } });
      expect(String(answer.data?.content)).toMatch(/That failed \(internal\)/);
    });
  });

  it('refuses a Confirm click from another channel with a clear message and runs nothing', async () => {
    const message = await someBotMessage();
    const id = 'cf-discord-elsewhere1';
    const user = `discord:${GUILD_ID}:${DEFAULT_DISCORD_IDS.user}`;
    await createConfirmation(db, {
      id,
      platform: 'discord',
      channel: GPUOPS_CHANNEL,
      requester: user,
      requesterName: 'Alice',
      question: 'Destroy i-525252?',
      tool: 'destroy',
      args: { instance: 'i-525252' },
      context: {
        user,
        userName: 'Alice',
        platform: 'discord',
        channel: GPUOPS_CHANNEL,
        replyTo: { surface: 'discord', channel: CHANNEL_ID, workspace: GUILD_ID },
      },
      expiresAt: new Date(Date.now() + 10 * 60_000),
    });
    const before = discord.rest.calls.length;
    const click = discord.gateway.buttonClick({
      customId: `${CONFIRM_ACTION}:${id}`,
      message,
      channelId: OTHER_CHANNEL_ID,
    });
    const answer = await eventually('the refusal', () => responseTo(click.id));
    expect(answer).toMatchObject({ type: 4, data: { flags: MESSAGE_FLAGS.ephemeral } });
    expect(String(answer.data?.content)).toMatch(/asked in another channel; nothing was done/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await getConfirmation(db, id))?.state).toBe('pending');
    const posted = discord.rest.calls
      .slice(before)
      .filter((c) => c.method !== 'GET' && !c.path.startsWith('/interactions/'));
    expect(posted.map((c) => `${c.method} ${c.path}`)).toEqual([]);
    expect(await db.selectFrom('audit_log').select('id').where('action', '=', 'destroy').execute()).toEqual(
      [],
    );
  });

  it('posts a notice once when a process died after Discord took its post but before marking it (the nonce)', async () => {
    const text = 'i-31 was running, but its machine is gone (posted before a crash).';
    // The dying process: it claimed the notice, and Discord took its post with the notice's nonce.
    const notice = await db.transaction().execute(async (trx) => {
      const added = await addNotice(trx, {
        channel: GPUOPS_CHANNEL,
        reply_to: JSON.stringify({ surface: 'discord', channel: CHANNEL_ID, workspace: GUILD_ID }),
        instance_id: null,
        text,
      });
      await claimNotices(trx, { platform: 'discord' }, 'crashed-bot', 1_500, 300);
      return added;
    });
    const nonce = `n${notice.id}-${new Date(notice.created_at).getTime().toString(36)}`;
    const first = await fetch(`${discord.rest.url}/v10/channels/${CHANNEL_ID}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${discord.rest.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: `⚠️ ${text}`, nonce, enforce_nonce: true }),
    });
    expect(first.status).toBe(200);
    const { id: firstId } = (await first.json()) as { id: string };

    const row = await waitFor(
      async () => {
        const r = await getNotice(db, notice.id);
        return r?.delivered_at ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the notice marked delivered' },
    );
    expect(row.attempts).toBe(2);
    expect(row.posted_message).toBe(firstId);
    expect(botMessagesIn(discord.rest, CHANNEL_ID).filter((m) => shown(m).includes(text))).toHaveLength(1);
  });
});
