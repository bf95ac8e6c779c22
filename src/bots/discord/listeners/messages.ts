import { type Client, Events, type Message } from 'discord.js';
import { hasConversation } from '../../../../db/repositories/conversations.ts';
import { takeInboundEvent } from '../../../../db/repositories/inbound-events.ts';
import { conversationKey } from '../../../agent/chat-surface.ts';
import { failureAnswer } from '../../failure-answer.ts';
import { workspaceAllowed } from '../../platform.ts';
import type { DiscordBotContext } from '../discord-bot-context.ts';
import { decodeDiscordText } from '../discord-format.ts';

/**
 * Messages addressed to the bot: a mention (answered in a thread made from it, or as a reply where
 * threads are not allowed), a direct message, and a reply in a thread the bot answered. A failure
 * is told as a reply to the message.
 */
export function listenForMessages(client: Client, bot: DiscordBotContext): void {
  const { config, db, log } = bot;

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
      await bot
        .surfaceAt({ channel: message.channelId, postIn: message.channelId, replyTo: message.id })
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
    const { place, thread } = await bot.placeFor({
      ...(guild && { guild }),
      channel: message.channelId,
      parent,
      direct,
      inThread,
      startFrom: message.id,
      title: text,
    });
    await bot.serve(
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

  client.on(Events.MessageCreate, (message) => {
    void onMessage(message).catch(async (err: unknown) => {
      log.error({ err }, 'could not answer a Discord message');
      // As a reply to the message: where it was said, whatever thread was or was not made.
      await bot
        .surfaceAt({ channel: message.channelId, postIn: message.channelId, replyTo: message.id })
        .post(failureAnswer(err))
        .catch((tellErr: unknown) =>
          log.warn({ err: tellErr }, 'could not tell the sender a message failed'),
        );
    });
  });
}
