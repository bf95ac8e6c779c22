import { once } from 'node:events';
import {
  type BaseInteraction,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Message,
  MessageFlags,
  Partials,
  type RateLimitData,
  REST,
  Routes,
  type TextChannel,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEFAULT_DISCORD_USER, startDiscordGateway } from '../../support/platforms/discord-gateway.ts';
import {
  DEFAULT_DISCORD_IDS,
  type DiscordRestStandIn,
  type DiscordRestStandInOptions,
  MESSAGE_FLAGS,
  startDiscordRest,
} from '../../support/platforms/discord-rest.ts';
import { waitFor } from '../../support/wait.ts';

const { application: APP_ID, guild: GUILD_ID, channel: CHANNEL_ID } = DEFAULT_DISCORD_IDS;

/** Guilds | GuildMessages | MessageContent | DirectMessages, what the bot asks for. */
const BOT_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  // Last started, first stopped: the client before the servers it talks to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function standIns(opts: { rest?: DiscordRestStandInOptions; heartbeatIntervalMs?: number } = {}) {
  const rest = await startDiscordRest(opts.rest);
  cleanups.push(() => rest.close());
  const gateway = await startDiscordGateway({ rest, heartbeatIntervalMs: opts.heartbeatIntervalMs });
  cleanups.push(() => gateway.close());
  return { rest, gateway };
}

function newClient(rest: DiscordRestStandIn, intents = BOT_INTENTS): Client {
  const client = new Client({ intents, partials: [Partials.Channel], rest: { api: rest.url } });
  cleanups.push(() => client.destroy());
  return client;
}

/** A client logged in to both stand-ins that has emitted `clientReady`. */
async function readyClient(rest: DiscordRestStandIn, intents = BOT_INTENTS): Promise<Client<true>> {
  const client = newClient(rest, intents);
  const ready = once(client, Events.ClientReady);
  await client.login(rest.token);
  await ready;
  return client as Client<true>;
}

/** Runs `handle` on the next interaction and resolves with its outcome, errors included. */
function onNextInteraction<T>(
  client: Client,
  handle: (interaction: BaseInteraction) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    client.once(Events.InteractionCreate, (interaction) => {
      handle(interaction).then(resolve, reject);
    });
  });
}

/** The next message from a user (the bot's own messages come back over the gateway too). */
function nextUserMessage(client: Client): Promise<Message> {
  return new Promise<Message>((resolve) => {
    const listener = (message: Message) => {
      if (message.author.bot) return;
      client.off(Events.MessageCreate, listener);
      resolve(message);
    };
    client.on(Events.MessageCreate, listener);
  });
}

function textChannel(client: Client): TextChannel {
  return client.channels.cache.get(CHANNEL_ID) as TextChannel;
}

describe('the Discord stand-ins with the real discord.js client', () => {
  it('log the client in: gateway URL over REST, IDENTIFY, READY and GUILD_CREATE, ready at once', async () => {
    const { rest, gateway } = await standIns();
    const started = Date.now();
    const client = await readyClient(rest);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(rest.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /gateway/bot 200']);
    expect(rest.calls[0]?.token).toBe(rest.token);
    expect(gateway.connectionQueries).toEqual([{ v: '10', encoding: 'json' }]);
    expect(gateway.identifies).toHaveLength(1);
    expect(gateway.identifies[0]).toMatchObject({
      token: rest.token,
      intents: 1 | (1 << 9) | (1 << 15) | (1 << 12),
      compress: false,
      shard: [0, 1],
    });
    expect(client.user.id).toBe(APP_ID);
    expect(client.application.id).toBe(APP_ID);
    expect(client.guilds.cache.get(GUILD_ID)?.available).toBe(true);
    expect(textChannel(client).name).toBe('gpu-ops');
    expect(textChannel(client).isTextBased()).toBe(true);
  });

  it('deliver a MESSAGE_CREATE; reply, startThread, thread.send and edit land in the REST stand-in', async () => {
    const { rest, gateway } = await standIns();
    const client = await readyClient(rest);
    const received = nextUserMessage(client);

    const sent = gateway.messageCreate({ content: `<@${APP_ID}> gpu list` });
    const message = await received;
    expect(message.id).toBe(sent.id);
    expect(message.content).toBe(`<@${APP_ID}> gpu list`);
    expect(message.author.username).toBe(DEFAULT_DISCORD_USER.username);
    expect(message.mentions.users.has(APP_ID)).toBe(true);
    expect(message.guildId).toBe(GUILD_ID);

    const reply = await message.reply('on it');
    expect(rest.messages.get(reply.id)).toMatchObject({
      content: 'on it',
      type: 19,
      author: { id: APP_ID, bot: true },
      message_reference: { message_id: message.id, channel_id: CHANNEL_ID, guild_id: GUILD_ID },
    });

    const thread = await message.startThread({ name: 'gpu list' });
    // A thread started from a message takes the message's id.
    expect(thread.id).toBe(message.id);
    expect(thread.parentId).toBe(CHANNEL_ID);
    expect(rest.callsTo(`POST /channels/${CHANNEL_ID}/messages/${message.id}/threads`)).toHaveLength(1);
    const inThread = await thread.send('3 offers found');
    expect(rest.channelMessages(thread.id).map((m) => m.content)).toEqual(['3 offers found']);
    expect(inThread.channelId).toBe(thread.id);

    const edited = await reply.edit('done');
    expect(edited.editedTimestamp).not.toBeNull();
    expect(rest.messages.get(reply.id)?.content).toBe('done');
    expect(rest.callsTo(`PATCH /channels/${CHANNEL_ID}/messages/${reply.id}`)[0]?.body).toMatchObject({
      content: 'done',
    });
    // Discord echoes the bot's own messages on the gateway: a bot must ignore them itself.
    await waitFor(() => textChannel(client).messages.cache.get(reply.id)?.content === 'done', {
      what: 'MESSAGE_UPDATE of the edit',
    });
  });

  it('deliver a DM through a channel discord.js does not know yet (Partials.Channel)', async () => {
    const { rest, gateway } = await standIns();
    const client = await readyClient(rest);
    const received = nextUserMessage(client);
    const dmChannelId = rest.snowflake();

    gateway.messageCreate({ channelId: dmChannelId, content: 'status?' });
    const message = await received;
    expect(message.channel.isDMBased()).toBe(true);
    await message.reply('all idle');
    expect(rest.channelMessages(dmChannelId).map((m) => m.content)).toEqual(['status?', 'all idle']);
  });

  it('withhold message content without the MessageContent intent, except where the bot is mentioned', async () => {
    const { rest, gateway } = await standIns();
    const client = await readyClient(rest, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages]);

    const plain = nextUserMessage(client);
    gateway.messageCreate({ content: 'gpu list' });
    expect((await plain).content).toBe('');
    const mention = nextUserMessage(client);
    gateway.messageCreate({ content: `<@${APP_ID}> gpu list` });
    expect((await mention).content).toBe(`<@${APP_ID}> gpu list`);
  });

  it('deliver a slash command; deferReply, editReply and followUp are recorded', async () => {
    const { rest, gateway } = await standIns();
    const client = await readyClient(rest);
    const handled = onNextInteraction(client, async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error(`unexpected ${interaction.type}`);
      await interaction.deferReply();
      await interaction.editReply(`looking for ${interaction.options.getString('request')}`);
      const followUp = await interaction.followUp('3 offers');
      return { interaction, followUp };
    });

    const sent = gateway.slashCommand({
      name: 'gpu',
      options: [{ name: 'request', type: 3, value: '2x A100' }],
    });
    const { interaction, followUp } = await handled;

    expect(interaction.id).toBe(sent.id);
    expect(interaction.commandName).toBe('gpu');
    expect(interaction.user.id).toBe(DEFAULT_DISCORD_USER.id);
    expect(interaction.channelId).toBe(CHANNEL_ID);
    expect(rest.interactionResponses).toEqual([
      { interactionId: sent.id, type: 5, data: { flags: 0 }, files: [] },
    ]);
    const callback = rest.callsTo(`POST /interactions/${sent.id}/`)[0];
    expect(callback).toMatchObject({ status: 204, token: undefined });
    const edit = rest.callsTo(`PATCH /webhooks/${APP_ID}/${sent.token}/messages/@original`);
    expect(edit.map((c) => c.body.content)).toEqual(['looking for 2x A100']);
    expect(rest.callsTo(`POST /webhooks/${APP_ID}/${sent.token}`)).toHaveLength(1);

    const original = [...rest.messages.values()].find((m) => m.content === 'looking for 2x A100');
    expect(original).toMatchObject({ type: 20, webhook_id: APP_ID, flags: 0 });
    expect(rest.messages.get(followUp.id)).toMatchObject({ content: '3 offers', channel_id: CHANNEL_ID });
    expect(followUp.id).not.toBe(original?.id);
  });

  it('deliver button clicks; an ephemeral reply and an update of the message work', async () => {
    const { rest, gateway } = await standIns();
    const client = await readyClient(rest);
    const prompt = await textChannel(client).send({
      content: 'Rent 2x A100 for $3.20/h?',
      components: [
        {
          type: 1,
          components: [
            { type: 2, style: 3, custom_id: 'approve', label: 'Approve' },
            { type: 2, style: 4, custom_id: 'reject', label: 'Reject' },
          ],
        },
      ],
    });

    const replied = onNextInteraction(client, async (interaction) => {
      if (!interaction.isButton()) throw new Error('expected a button');
      await interaction.reply({ content: 'Only admins can approve.', flags: MessageFlags.Ephemeral });
      return interaction;
    });
    gateway.buttonClick({ customId: 'approve', message: prompt.id });
    const first = await replied;
    expect(first.customId).toBe('approve');
    expect(first.message.id).toBe(prompt.id);
    expect(rest.interactionResponses[0]).toMatchObject({
      type: 4,
      data: { content: 'Only admins can approve.', flags: MessageFlags.Ephemeral },
    });
    const ephemeral = [...rest.messages.values()].find((m) => m.content === 'Only admins can approve.');
    expect(ephemeral?.flags).toBe(MESSAGE_FLAGS.ephemeral);
    await first.deleteReply();
    expect(rest.callsTo(`DELETE /webhooks/${APP_ID}/`)).toHaveLength(1);
    expect([...rest.messages.values()].some((m) => m.id === ephemeral?.id)).toBe(false);

    const updated = onNextInteraction(client, async (interaction) => {
      if (!interaction.isButton()) throw new Error('expected a button');
      await interaction.update({ content: 'Approved by alice.', components: [] });
    });
    gateway.buttonClick({ customId: 'approve', message: prompt.id, user: { id: '1400000000000000002' } });
    await updated;
    expect(rest.interactionResponses[1]).toMatchObject({ type: 7 });
    expect(rest.messages.get(prompt.id)).toMatchObject({ content: 'Approved by alice.', components: [] });
  });

  it('answer an injected 429, which discord.js waits out and retries', async () => {
    const { rest } = await standIns();
    const client = await readyClient(rest);
    // discord.js emits `rateLimited` only when it waits on its own; a 429 shows in its debug log.
    const debug: string[] = [];
    client.rest.on('restDebug', (line) => debug.push(line));
    rest.rateLimit(`POST /channels/${CHANNEL_ID}/messages`, { times: 1, retryAfterSeconds: 0.3 });

    const started = Date.now();
    const message = await textChannel(client).send('patient');
    const elapsed = Date.now() - started;

    expect(message.content).toBe('patient');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2_000);
    const posts = rest.calls.filter((c) => c.path === `/channels/${CHANNEL_ID}/messages`);
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(debug.filter((line) => line.includes('Encountered unexpected 429 rate limit'))).toHaveLength(1);
  });

  it('inject a global 429 and failures on any route, as the REST client alone sees them', async () => {
    const rest = await startDiscordRest();
    cleanups.push(() => rest.close());
    const api = new REST({ api: rest.url }).setToken(rest.token);
    const rateLimits: RateLimitData[] = [];
    api.on('rateLimited', (info) => rateLimits.push(info));

    rest.rateLimit('GET /users/@me', { times: 1, retryAfterSeconds: 0.2, global: true });
    const started = Date.now();
    expect(await api.get(Routes.user())).toMatchObject({ id: APP_ID, bot: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    // After a global 429, @discordjs/rest holds every request until the global reset.
    expect(rateLimits).toEqual([expect.objectContaining({ global: true })]);
    expect(rest.calls.map((c) => c.status)).toEqual([429, 200]);

    rest.failNext(`POST /channels/${CHANNEL_ID}/messages`, {
      status: 403,
      code: 50013,
      message: 'Missing Permissions',
    });
    await expect(
      api.post(Routes.channelMessages(CHANNEL_ID), { body: { content: 'x' } }),
    ).rejects.toMatchObject({ status: 403, code: 50013, message: 'Missing Permissions' });
    // A 5xx is retried (up to 3 times) by @discordjs/rest itself.
    rest.failNext(`POST /channels/${CHANNEL_ID}/messages`, { status: 502, code: 0, message: 'Bad Gateway' });
    expect(await api.post(Routes.channelMessages(CHANNEL_ID), { body: { content: 'y' } })).toMatchObject({
      content: 'y',
    });
    expect(rest.calls.slice(2).map((c) => c.status)).toEqual([403, 502, 200]);
  });

  it('send X-RateLimit-* headers that discord.js obeys before it ever gets a 429', async () => {
    const { rest } = await standIns({ rest: { messageEditLimit: { limit: 2, windowMs: 400 } } });
    const client = await readyClient(rest);
    const message = await textChannel(client).send('v0');
    const rateLimits: RateLimitData[] = [];
    client.rest.on('rateLimited', (info) => rateLimits.push(info));

    const started = Date.now();
    for (const version of ['v1', 'v2', 'v3']) await message.edit(version);
    const elapsed = Date.now() - started;

    // The third edit waited for the bucket to reset, on the headers alone.
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(rest.calls.filter((c) => c.method === 'PATCH').map((c) => c.status)).toEqual([200, 200, 200]);
    expect(rest.messages.get(message.id)?.content).toBe('v3');
    expect(rateLimits).toEqual([expect.objectContaining({ method: 'PATCH', limit: 2, global: false })]);
  });

  it('refuse an interaction token after 15 minutes, and a first answer after 3 seconds', async () => {
    let clock = Date.now();
    const { rest, gateway } = await standIns({ rest: { now: () => clock } });
    const client = await readyClient(rest);

    const expired = onNextInteraction(client, async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error('expected a command');
      await interaction.deferReply();
      clock += 15 * 60_000 + 1_000;
      return interaction.editReply('too late');
    });
    gateway.slashCommand({ name: 'gpu' });
    const tokenError = await expired.catch((err: unknown) => err);
    expect(tokenError).toBeInstanceOf(DiscordAPIError);
    expect(tokenError).toMatchObject({ status: 401, code: 50027, message: 'Invalid Webhook Token' });

    const unanswered = onNextInteraction(client, async (interaction) => {
      if (!interaction.isChatInputCommand()) throw new Error('expected a command');
      clock += 3_001;
      return interaction.deferReply();
    });
    gateway.slashCommand({ name: 'gpu' });
    await expect(unanswered).rejects.toMatchObject({
      status: 404,
      code: 10062,
      message: 'Unknown interaction',
    });
  });

  it('reject over-long content, embeds and too many components with 400 Invalid Form Body', async () => {
    const { rest } = await standIns();
    const client = await readyClient(rest);
    const channel = textChannel(client);

    const tooLong = await channel.send('x'.repeat(2001)).catch((err: unknown) => err);
    expect(tooLong).toBeInstanceOf(DiscordAPIError);
    expect(tooLong).toMatchObject({
      status: 400,
      code: 50035,
      message: 'Invalid Form Body\ncontent[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.',
    });
    await expect(channel.send({ embeds: [{ description: 'x'.repeat(4097) }] })).rejects.toMatchObject({
      code: 50035,
      message: expect.stringContaining('embeds[0].description[BASE_TYPE_MAX_LENGTH]'),
    });
    const button = (n: number) => ({ type: 2, style: 1, custom_id: `b${n}`, label: `B${n}` });
    const rows = Array.from({ length: 6 }, (_, n) => ({ type: 1, components: [button(n)] }));
    await expect(channel.send({ content: 'rows', components: rows })).rejects.toMatchObject({
      code: 50035,
      message: expect.stringContaining('components[BASE_TYPE_MAX_LENGTH]: Must be 5 or fewer in length.'),
    });
    const wideRow = { type: 1, components: Array.from({ length: 6 }, (_, n) => button(n)) };
    await expect(channel.send({ content: 'wide', components: [wideRow] })).rejects.toMatchObject({
      code: 50035,
      message: expect.stringContaining('components[0].components[BASE_TYPE_BAD_LENGTH]'),
    });
    await expect(channel.send({ content: '' })).rejects.toMatchObject({ status: 400, code: 50006 });
    expect(rest.channelMessages(CHANNEL_ID)).toEqual([]);
  });

  it('take attachments as multipart/form-data and record their names and sizes', async () => {
    const { rest } = await standIns();
    const client = await readyClient(rest);
    const report = Buffer.from('gpu,price\na100,3.20\n');

    const message = await textChannel(client).send({
      content: 'report attached',
      files: [{ attachment: report, name: 'offers.csv' }],
    });

    const post = rest.callsTo(`POST /channels/${CHANNEL_ID}/messages`)[0];
    expect(post?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(post?.body).toMatchObject({ content: 'report attached' });
    // discord.js guesses the type from magic bytes only, so plain text goes as octet-stream.
    expect(post?.files).toEqual([
      {
        field: 'files[0]',
        filename: 'offers.csv',
        size: report.length,
        contentType: 'application/octet-stream',
      },
    ]);
    expect(message.attachments.first()).toMatchObject({ name: 'offers.csv', size: report.length });
  });

  it('record slash command registration made with REST.put', async () => {
    const { rest } = await standIns();
    const api = new REST({ api: rest.url }).setToken(rest.token);
    const body = [
      {
        name: 'gpu',
        description: 'Rent and manage GPUs',
        options: [{ name: 'request', description: 'What you need', type: 3, required: true }],
      },
    ];

    const registered = (await api.put(Routes.applicationGuildCommands(APP_ID, GUILD_ID), { body })) as Array<{
      id: string;
      name: string;
      guild_id: string;
    }>;

    expect(registered).toEqual([
      expect.objectContaining({ name: 'gpu', guild_id: GUILD_ID, id: expect.any(String) }),
    ]);
    expect(rest.commands.guilds.get(GUILD_ID)).toEqual(registered);
    expect(await api.get(Routes.applicationGuildCommands(APP_ID, GUILD_ID))).toEqual(registered);
    await expect(
      api.put(Routes.applicationCommands(APP_ID), { body: [{ name: 'GPU list', description: 'x' }] }),
    ).rejects.toMatchObject({ status: 400, code: 50035 });
    expect(rest.commands.global).toEqual([]);
  });

  it('acknowledge heartbeats, which discord.js turns into a ping', async () => {
    const { rest, gateway } = await standIns({ heartbeatIntervalMs: 50 });
    const client = await readyClient(rest);
    await waitFor(() => gateway.heartbeats >= 3 && client.ws.ping >= 0, { what: 'acknowledged heartbeats' });
  });

  it('let the client resume after a disconnect and replay what it missed', async () => {
    const { rest, gateway } = await standIns();
    const client = await readyClient(rest);
    const received = nextUserMessage(client);

    gateway.disconnectAll(4000);
    gateway.messageCreate({ content: 'sent while you were away' });

    expect((await received).content).toBe('sent while you were away');
    expect(gateway.resumes).toEqual([expect.objectContaining({ token: rest.token, seq: 2 })]);
    expect(gateway.identifies).toHaveLength(1);
  });

  it('refuse a bad token: 401 on REST (login rejects), 4004 on the gateway', async () => {
    const { rest, gateway } = await standIns();
    const client = newClient(rest);

    await expect(client.login('not-the-token')).rejects.toMatchObject({
      code: 'TokenInvalid',
      message: 'An invalid token was provided.',
    });
    expect(rest.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /gateway/bot 401']);
    expect(gateway.connectionQueries).toEqual([]);

    // discord.js never reaches the gateway with a token REST refused; a raw client shows the close code.
    const socket = new WebSocket(`${gateway.url}/?v=10&encoding=json`);
    const [hello] = (await once(socket, 'message')) as [Buffer];
    expect(JSON.parse(String(hello))).toMatchObject({ op: 10, d: { heartbeat_interval: 41_250 } });
    socket.send(JSON.stringify({ op: 2, d: { token: 'not-the-token', intents: 513, properties: {} } }));
    const [code] = (await once(socket, 'close')) as [number];
    expect(code).toBe(4004);
  });

  it('close with 4014 when MessageContent is asked for but not allowed, and login rejects', async () => {
    const { rest, gateway } = await standIns({ rest: { messageContentAllowed: false } });
    const client = newClient(rest);

    await expect(client.login(rest.token)).rejects.toThrow('Used disallowed intents');
    expect(gateway.closeCodes).toEqual([4014]);
    // The application's flags say so too: no GATEWAY_MESSAGE_CONTENT (1 << 19).
    const app = await new REST({ api: rest.url }).setToken(rest.token).get(Routes.currentApplication());
    expect(app).toMatchObject({ id: APP_ID, flags: 0 });
  });
});
