import { type Client, Events, type Interaction, MessageFlags } from 'discord.js';
import { failureAnswer } from '../../failure-answer.ts';
import type { DiscordBotContext } from '../discord-bot-context.ts';
import { answerButton } from './buttons.ts';
import { answerCommand } from './commands.ts';

/**
 * Interactions, which discord.js delivers as one event: a slash command goes to commands.ts, a
 * button click to buttons.ts, anything else is refused. The one catch for all of them answers the
 * user privately with what failed.
 */
export function listenForInteractions(client: Client, bot: DiscordBotContext): void {
  const { log } = bot;

  async function onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) return answerCommand(bot, interaction);
    if (interaction.isButton()) return answerButton(bot, interaction);
    if (interaction.isRepliable()) {
      await interaction
        .reply({
          content: 'gpuops does not know that action; nothing was done.',
          flags: MessageFlags.Ephemeral,
        })
        .catch(() => undefined);
    }
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
}
