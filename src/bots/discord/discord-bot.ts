import { once } from 'node:events';
import {
  type APIInteractionGuildMember,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  Client,
  Events,
  GatewayIntentBits,
  GuildMember,
  type Interaction,
  type Message,
  MessageFlags,
  Partials,
  Routes,
  type User,
} from 'discord.js';
import { hasConversation } from '../../../db/repositories/conversations.ts';
import { takeInboundEvent } from '../../../db/repositories/inbound-events.ts';
import { type ChatRequest, contextFor, conversationKey, qualifiedChannel } from '../../agent/chat-surface.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { closedText } from '../button-confirmations.ts';
import { tooLong } from '../chat-requests.ts';
import { EditBudget } from '../edit-budget.ts';
import { failureAnswer } from '../failure-answer.ts';
import { actedNoticeMessage, decideNoticeClick, NOTICE_ACTION_ID, noticeMessage } from '../notice-actions.ts';
import { type PlatformDeps, type RunningPlatform, workspaceAllowed } from '../platform.ts';
import { GPU_COMMAND } from './discord-commands.ts';
import { decodeDiscordText, readDiscordButtonId, toDiscordMessages } from './discord-format.ts';
import { type DiscordPlace, DiscordSurface, type DiscordWire } from './discord-surface.ts';

/**
 * The intents gpuops asks for. Message Content is privileged: turn it on under the application's
 * Bot settings, or Discord closes the connection (4014) and mentions arrive without their text.
 */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.DirectMessages,
];

/** Discord allows 5 edits per 5 s per channel; gpuops keeps every channel under it. */
const EDITS_PER_5S_PER_CHANNEL = 4;
const EXPIRY_SWEEP_MS = 30_000;
const READY_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 15_000;

/**
 * gpuops in Discord, through discord.js: the `/gpu request:<text>` command (deferred at once, then
 * answered), a message that mentions the bot (answered in a thread made from it, or as a reply
 * where threads are not allowed), direct messages, and replies in a thread the bot answered.
 */
export async function startDiscordBot(deps: PlatformDeps): Promise<RunningPlatform> {
  const { config, chat, confirmations, db } = deps;
  const discord = config.discord;
  if (!discord) throw new GpuopsError(ErrorCode.ConfigInvalid, 'DISCORD_TOKEN is not set.');
  const log = deps.log.child({ platform: 'discord' });
  const client = new Client({
    intents: DISCORD_INTENTS,
    partials: [Partials.Channel],
    rest: { ...(discord.apiUrl && { api: discord.apiUrl }), timeout: CALL_TIMEOUT_MS, retries: 3 },
  });
  const wire: DiscordWire = {
    rest: client.rest,
    budget: new EditBudget({ limit: EDITS_PER_5S_PER_CHANNEL, intervalMs: 5_000 }),
    confirmations,
    log,
  };
  const surfaceAt = (place: DiscordPlace) => new DiscordSurface(wire, place);

  const serve = (request: ChatRequest, place: Parameters<typeof surfaceAt>[0]) =>
    chat.answer(request, surfaceAt(place), config.chat.maxRequestChars);

  /** Makes a thread from `messageId` for the answer; undefined where threads are not allowed. */
  async function threadFrom(channel: string, messageId: string, title: string): Promise<string | undefined> {
    try {
      const thread = (await client.rest.post(Routes.threads(channel, messageId), {
        body: { name: title.slice(0, 90) || 'gpuops', auto_archive_duration: 1440 },
      })) as { id: string };
      return thread.id;
    } catch (err) {
      log.info({ err, channel }, 'no thread for the answer; replying instead');
      return undefined;
    }
  }

  /**
   * Where a request's answer goes: in a direct message or a thread, right there; in a channel, a
   * thread made from the request's message, or replies to it where threads are not allowed.
   */
  async function placeFor(at: {
    guild?: string;
    channel: string;
    parent: string;
    direct: boolean;
    inThread: boolean;
    startFrom: string;
    title: string;
  }): Promise<{ place: DiscordPlace; thread: string | undefined }> {
    const base = { ...(at.guild && { guild: at.guild }), channel: at.parent };
    if (at.direct || at.inThread) {
      return { place: { ...base, postIn: at.channel, thread: at.channel }, thread: at.channel };
    }
    const thread = await threadFrom(at.channel, at.startFrom, at.title || 'gpuops');
    return thread
      ? { place: { ...base, postIn: thread, thread }, thread }
      : { place: { ...base, postIn: at.channel, replyTo: at.startFrom }, thread: undefined };
  }

  client.on(Events.MessageCreate, (message) => {
    void onMessage(message).catch(async (err: unknown) => {
      log.error({ err }, 'could not answer a Discord message');
      // As a reply to the message: where it was said, whatever thread was or was not made.
      await surfaceAt({ channel: message.channelId, postIn: message.channelId, replyTo: message.id })
        .post(failureAnswer(err))
        .catch((tellErr: unknown) =>
          log.warn({ err: tellErr }, 'could not tell the sender a message failed'),
        );
    });
  });

  async function onMessage(message: Message): Promise<void> {
    // Never answer bots, itself included, nor system messages (joins, pins, thread starters).
    if (message.author.bot || message.system) return;
    const me = client.user?.id;
    if (!me) return;
    const direct = message.channel.isDMBased();
    const inThread = message.channel.isThread();
    // Discord's @ autocomplete offers the bot's managed role beside the bot: either addresses it.
    const botRole = message.guild?.roles.botRoleFor(me) ?? undefined;
    const mentioned =
      message.mentions.users.has(me) || (botRole !== undefined && message.mentions.roles.has(botRole.id));
    const guild = message.guildId ?? undefined;
    const parent = inThread ? (message.channel.parentId ?? message.channelId) : message.channelId;
    if (!direct && !mentioned) {
      // A reply in a thread the bot answered continues that conversation without a mention.
      if (!inThread) return;
      const conversation = conversationKey(
        { platform: 'discord', workspace: guild, channel: parent },
        message.channelId,
      );
      // Unknown whether it was meant for the bot: a failure here is logged, not answered, or an
      // outage would have the bot reply in every thread it can read.
      const ours = await hasConversation(db, conversation).catch((err: unknown) => {
        log.warn({ err }, 'could not tell whether a thread reply is for gpuops');
        return false;
      });
      if (!ours) return;
    }
    if (!(await takeInboundEvent(db, `discord:message:${message.id}`))) return;
    if (!direct && !workspaceAllowed(config, guild)) {
      await surfaceAt({ channel: message.channelId, postIn: message.channelId, replyTo: message.id })
        .post({ kind: 'reply', text: 'This gpuops is not set up for this server; nothing was done.' })
        .catch(() => undefined);
      return;
    }
    const text = decodeDiscordText(message.content, {
      botUserId: me,
      ...(botRole && { botRoleId: botRole.id }),
      users: new Map(message.mentions.users.map((u) => [u.id, u.username])),
      roles: new Map(message.mentions.roles.map((r) => [r.id, r.name])),
      channels: new Map(
        message.mentions.channels.map((c) => [c.id, 'name' in c && c.name ? String(c.name) : c.id]),
      ),
    });
    const { place, thread } = await placeFor({
      ...(guild && { guild }),
      channel: message.channelId,
      parent,
      direct,
      inThread,
      startFrom: message.id,
      title: text,
    });
    await serve(
      {
        platform: 'discord',
        ...(guild && { workspace: guild }),
        channel: parent,
        ...(thread && { thread }),
        user: { id: message.author.id, name: message.member?.displayName ?? message.author.displayName },
        text,
      },
      place,
    );
  }

  client.on(Events.InteractionCreate, (interaction) => {
    void onInteraction(interaction).catch(async (err: unknown) => {
      log.error({ err }, 'could not handle a Discord interaction');
      if (!interaction.isRepliable()) return;
      const answer = {
        content: failureAnswer(err).text,
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      } as const;
      // Unanswered, Discord shows "The application did not respond"; deferred or answered, a
      // follow-up (which fills a deferred reply's "thinking…" message).
      await (interaction.deferred || interaction.replied
        ? interaction.followUp(answer)
        : interaction.reply(answer)
      )
        .then(() => undefined)
        .catch((tellErr: unknown) =>
          log.warn({ err: tellErr }, 'could not tell the user an interaction failed'),
        );
    });
  });

  async function onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) return onCommand(interaction);
    if (interaction.isButton()) return onButton(interaction);
    if (interaction.isRepliable()) {
      await interaction
        .reply({
          content: 'gpuops does not know that action; nothing was done.',
          flags: MessageFlags.Ephemeral,
        })
        .catch(() => undefined);
    }
  }

  async function onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    if (interaction.commandName !== GPU_COMMAND.name) {
      await interaction.reply({
        content: 'gpuops knows only /gpu; nothing was done.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    const guild = interaction.guildId ?? undefined;
    if (!interaction.channel?.isDMBased() && !workspaceAllowed(config, guild)) {
      await interaction.reply({
        content: 'This gpuops is not set up for this server; nothing was done.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    // Acknowledged before anything else: Discord allows 3 s.
    await interaction.deferReply();
    if (!(await takeInboundEvent(db, `discord:interaction:${interaction.id}`))) return;
    const raw = interaction.options.getString('request') ?? '';
    const text = decodeDiscordText(raw, { botUserId: client.user?.id ?? '' });
    // Refused before it is echoed as "asked: …".
    const refusal = tooLong(text, config.chat.maxRequestChars);
    if (refusal) {
      await interaction.editReply({ content: refusal.text, allowedMentions: { parse: [] } });
      return;
    }
    const name = displayNameOf(interaction.member, interaction.user);
    const asked = await interaction.editReply({
      content: `**${name}** asked: ${text.slice(0, 1_800) || '(nothing)'}`,
      allowedMentions: { parse: [] },
    });
    const channelId = interaction.channelId;
    const inThread = interaction.channel?.isThread() ?? false;
    const direct = interaction.channel?.isDMBased() ?? !guild;
    const parent = inThread
      ? interaction.channel && 'parentId' in interaction.channel
        ? (interaction.channel.parentId ?? channelId)
        : channelId
      : channelId;
    const { place, thread } = await placeFor({
      ...(guild && { guild }),
      channel: channelId,
      parent,
      direct,
      inThread,
      startFrom: asked.id,
      title: text,
    });
    if (text === '') {
      await surfaceAt(place).post({
        kind: 'reply',
        text: 'Tell me what you need, e.g. `/gpu request: what do I need to serve Llama 3.1 8B?`',
      });
      return;
    }
    await serve(
      {
        platform: 'discord',
        ...(guild && { workspace: guild }),
        channel: parent,
        ...(thread && { thread }),
        user: { id: interaction.user.id, name },
        text,
      },
      place,
    );
  }

  async function onButton(interaction: ButtonInteraction): Promise<void> {
    const { id, value } = readDiscordButtonId(interaction.customId);
    const guild = interaction.guildId ?? undefined;
    const ephemeral = (content: string) =>
      interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    if (!interaction.channel?.isDMBased() && !workspaceAllowed(config, guild)) {
      await ephemeral('This gpuops is not set up for this server; nothing was done.');
      return;
    }
    if (!(await takeInboundEvent(db, `discord:interaction:${interaction.id}`))) return;
    const name = displayNameOf(interaction.member, interaction.user);
    if (NOTICE_ACTION_ID.test(id)) return onNoticeButton(interaction, value, name);
    const outcome = await confirmations.click({
      action: id,
      confirmationId: value,
      user: `discord:${guild ?? 'direct'}:${interaction.user.id}`,
      userName: name,
      channel: qualifiedChannel({
        platform: 'discord',
        ...(guild && { workspace: guild }),
        channel: parentOf(interaction),
      }),
    });
    if (outcome.kind === 'unknown' || outcome.kind === 'elsewhere' || outcome.kind === 'not-requester') {
      await ephemeral(outcome.text);
      return;
    }
    /** The question's message, without its buttons, saying how it ended (formatted as it was posted). */
    const settle = (text: string) =>
      interaction.update({
        content: toDiscordMessages({ kind: 'reply', text })[0]?.content ?? text,
        components: [],
        allowedMentions: { parse: [] },
      });
    if (outcome.kind === 'closed') {
      if (outcome.row.state === 'expired' || outcome.row.state === 'pending') {
        await settle(outcome.text);
      } else {
        await ephemeral(outcome.text);
      }
      return;
    }
    // The decision is stored: a message that cannot be updated must not keep a confirmed call from running.
    await settle(`${outcome.row.question}\n${outcome.text}`).catch((err: unknown) =>
      log.warn({ err, confirmation: outcome.row.id }, 'could not update the confirmation message'),
    );
    if (outcome.kind !== 'confirmed') return;
    const at = outcome.row.message;
    const postIn = at?.channel ?? interaction.channelId;
    const place: DiscordPlace = {
      ...(guild && { guild }),
      channel: outcome.context.replyTo.channel,
      postIn,
      ...(at?.thread && { thread: at.thread }),
    };
    await chat.runConfirmed(
      { tool: outcome.row.tool, args: outcome.row.args },
      outcome.context,
      surfaceAt(place),
    );
  }

  /** A click on a notice's button: runs its stored call once, as whoever clicked, where it was. */
  async function onNoticeButton(interaction: ButtonInteraction, value: string, name: string): Promise<void> {
    const guild = interaction.guildId ?? undefined;
    const inThread = interaction.channel?.isThread() ?? false;
    const parent = parentOf(interaction);
    const at = { platform: 'discord', ...(guild && { workspace: guild }), channel: parent } as const;
    const outcome = await decideNoticeClick(db, {
      value,
      channel: qualifiedChannel(at),
      user: `discord:${guild ?? 'direct'}:${interaction.user.id}`,
      userName: name,
    });
    if (outcome.kind !== 'run') {
      await interaction.reply({
        content: outcome.text,
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
      return;
    }
    const acted = actedNoticeMessage(outcome.notice, outcome.text);
    await interaction
      .update({
        content: toDiscordMessages(acted)[0]?.content ?? acted.text,
        components: [],
        allowedMentions: { parse: [] },
      })
      .catch((err: unknown) => log.warn({ err, notice: outcome.notice.id }, 'could not update the notice'));
    const thread = inThread ? interaction.channelId : undefined;
    const context = contextFor({
      ...at,
      ...(thread && { thread }),
      user: { id: interaction.user.id, name },
      text: '',
    });
    await chat.runAction(
      outcome.action,
      context,
      surfaceAt({
        ...(guild && { guild }),
        channel: parent,
        postIn: interaction.channelId,
        ...(thread && { thread }),
      }),
    );
  }

  const sweeper = setInterval(() => {
    void (async () => {
      for (const row of await confirmations.expireDue('discord')) {
        const at = row.message;
        if (!at?.message) continue;
        await surfaceAt({ channel: at.channel, postIn: at.channel })
          .update({ id: at.message }, { kind: 'reply', text: closedText(row) })
          .catch((err: unknown) => log.warn({ err }, 'could not mark a confirmation expired'));
      }
    })();
  }, EXPIRY_SWEEP_MS);
  sweeper.unref();

  client.on(Events.Error, (err) => log.warn({ err }, 'Discord client error'));

  const ready = once(client, Events.ClientReady);
  // Not awaited when login fails; a client error after that must not be an unhandled rejection.
  ready.catch(() => undefined);
  try {
    await client.login(discord.token);
    await Promise.race([
      ready,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`not ready in ${READY_TIMEOUT_MS / 1000} s`)),
          READY_TIMEOUT_MS,
        ).unref(),
      ),
    ]);
  } catch (err) {
    clearInterval(sweeper);
    await client.destroy().catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    const hint = /disallowed intents/i.test(message)
      ? 'Turn on "Message Content Intent" under Bot in the Discord developer portal.'
      : /token/i.test(message)
        ? 'Copy the token from Bot → Reset Token in the Discord developer portal into DISCORD_TOKEN.'
        : 'Check DISCORD_API_URL and the network.';
    throw new GpuopsError(ErrorCode.ConfigInvalid, `Discord login failed (${message}). ${hint}`, {
      cause: err,
    });
  }
  await chat.follower.adoptOrphans({
    platform: 'discord',
    surfaceFor: (replyTo) =>
      surfaceAt({
        ...(replyTo.workspace && { guild: replyTo.workspace }),
        channel: replyTo.channel,
        postIn: replyTo.thread ?? replyTo.channel,
        ...(replyTo.thread && { thread: replyTo.thread }),
      }),
  });
  // What the reconciler and workers found goes to the thread (or channel) the instance came from.
  // Resolves once Discord took the post: the feed marks the notice delivered only then. The nonce
  // makes a second post of the notice (after a process died before marking it) return the first.
  const stopNotices = deps.notices?.subscribePlatform('discord', (notice) => {
    const at = notice.reply_to;
    const channel = at?.channel ?? notice.channel.split(':').at(-1) ?? '';
    return surfaceAt({
      ...(at?.workspace && { guild: at.workspace }),
      channel,
      postIn: at?.thread ?? channel,
      ...(at?.thread && { thread: at.thread }),
    }).post(noticeMessage(notice), {
      // Unique per notice, and per deployment too by its creation time (notice ids restart per database).
      nonce: `n${notice.id}-${new Date(notice.created_at).getTime().toString(36)}`,
    });
  });
  log.info({ user: client.user?.id, guilds: client.guilds.cache.size }, 'Discord bot started');

  return {
    name: 'discord',
    async check() {
      if (!client.isReady()) throw new Error('not connected to the gateway');
      return `connected as ${client.user.username}; ${client.guilds.cache.size} server(s); ping ${client.ws.ping} ms`;
    },
    async close() {
      clearInterval(sweeper);
      stopNotices?.();
      // Stops the gateway (no more requests), but destroy() also drops the REST token, and the
      // follower's shutdown still edits each followed message one last time through it.
      await client.destroy();
      client.rest.setToken(discord.token);
    },
  };
}

/** The name people see: the server nickname, else the global display name, else the username. */
function displayNameOf(member: GuildMember | APIInteractionGuildMember | null, user: User): string {
  return member instanceof GuildMember ? member.displayName : (member?.nick ?? user.displayName);
}

/** The channel an interaction belongs to: a thread's parent, else where it happened. */
function parentOf(interaction: ButtonInteraction): string {
  const channel = interaction.channel;
  return channel?.isThread() ? (channel.parentId ?? interaction.channelId) : interaction.channelId;
}
