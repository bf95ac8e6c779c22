import { type ButtonInteraction, MessageFlags } from 'discord.js';
import { takeInboundEvent } from '../../../../db/repositories/inbound-events.ts';
import { qualifiedChannel } from '../../../agent/chat-surface.ts';
import { answerNoticeClick } from '../../answer-notice-click.ts';
import { NOTICE_ACTION_ID } from '../../notice-actions.ts';
import { workspaceAllowed } from '../../platform.ts';
import type { DiscordBotContext } from '../discord-bot-context.ts';
import { readDiscordButtonId, toDiscordMessages } from '../discord-format.ts';
import type { DiscordPlace } from '../discord-surface.ts';
import { displayNameOf } from '../display-name.ts';

/**
 * A button click: Confirm or Cancel on a confirmation, or a notice's button. The message clicked
 * is updated in place (its buttons gone); what only the clicker should see is ephemeral. Failures
 * reach the clicker through the one catch of interactions.ts.
 */
export async function answerButton(bot: DiscordBotContext, interaction: ButtonInteraction): Promise<void> {
  const { config, chat, confirmations, db, log } = bot;
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
  if (NOTICE_ACTION_ID.test(id)) return answerNoticeButton(bot, interaction, value, name);
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
    bot.surfaceAt(place),
  );
}

/** A notice's button: its stored call runs once, as whoever clicked, where the notice was. */
async function answerNoticeButton(
  bot: DiscordBotContext,
  interaction: ButtonInteraction,
  value: string,
  name: string,
): Promise<void> {
  const guild = interaction.guildId ?? undefined;
  const parent = parentOf(interaction);
  const thread = interaction.channel?.isThread() ? interaction.channelId : undefined;
  await answerNoticeClick(
    bot,
    {
      platform: 'discord',
      ...(guild && { workspace: guild }),
      channel: parent,
      ...(thread && { thread }),
      user: { id: interaction.user.id, name },
    },
    value,
    {
      tell: (content) =>
        interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }),
      settle: (acted) =>
        interaction.update({
          content: toDiscordMessages(acted)[0]?.content ?? acted.text,
          components: [],
          allowedMentions: { parse: [] },
        }),
      surface: bot.surfaceAt({
        ...(guild && { guild }),
        channel: parent,
        postIn: interaction.channelId,
        ...(thread && { thread }),
      }),
    },
  );
}

/** The channel an interaction belongs to: a thread's parent, else where it happened. */
function parentOf(interaction: ButtonInteraction): string {
  const channel = interaction.channel;
  return channel?.isThread() ? (channel.parentId ?? interaction.channelId) : interaction.channelId;
}
