import { ButtonConfirmations } from './button-confirmations.ts';
import type { PlatformDeps, RunningPlatform } from './platform.ts';

/**
 * Starts every chat platform whose token is configured: Slack when SLACK_BOT_TOKEN is set,
 * Discord when DISCORD_TOKEN is set, both when both are. Each is loaded only when configured.
 */
export async function startChatPlatforms(
  deps: Omit<PlatformDeps, 'confirmations'>,
): Promise<RunningPlatform[]> {
  const confirmations = new ButtonConfirmations(deps.db, deps.log, deps.config.chat.confirmTtlMs);
  const full: PlatformDeps = { ...deps, confirmations };
  const running: RunningPlatform[] = [];
  try {
    if (deps.config.slack) {
      const { startSlackBot } = await import('./slack/slack-bot.ts');
      running.push(await startSlackBot(full));
    }
    if (deps.config.discord) {
      const { startDiscordBot } = await import('./discord/discord-bot.ts');
      running.push(await startDiscordBot(full));
    }
  } catch (err) {
    await Promise.allSettled(running.map((p) => p.close()));
    throw err;
  }
  return running;
}
