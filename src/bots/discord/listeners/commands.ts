import { type ChatInputCommandInteraction, MessageFlags } from 'discord.js';
import { takeInboundEvent } from '../../../../db/repositories/inbound-events.ts';
import { tooLong } from '../../chat-requests.ts';
import { workspaceAllowed } from '../../platform.ts';
import type { DiscordBotContext } from '../discord-bot-context.ts';
import { GPU_COMMAND } from '../discord-commands.ts';
import { decodeDiscordText } from '../discord-format.ts';
import { displayNameOf } from '../display-name.ts';

/**
 * `/gpu request:<text>`: deferred at once (Discord allows 3 s), the deferred reply then shows the
 * request as "asked: …", and the answer goes to a thread made from it (or replies to it).
 * Failures reach the user through the one catch of interactions.ts.
 */
export async function answerCommand(
  bot: DiscordBotContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const { config, db } = bot;
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
  const text = decodeDiscordText(raw, { botUserId: bot.client.user?.id ?? '' });
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
  const { place, thread } = await bot.placeFor({
    ...(guild && { guild }),
    channel: channelId,
    parent,
    direct,
    inThread,
    startFrom: asked.id,
    title: text,
  });
  if (text === '') {
    await bot.surfaceAt(place).post({
      kind: 'reply',
      text: 'Tell me what you need, e.g. `/gpu request: what do I need to serve Llama 3.1 8B?`',
    });
    return;
  }
  await bot.serve(
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
