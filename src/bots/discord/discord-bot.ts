import { ErrorCode, GpuopsError } from '../../errors.ts';
import { startConfirmationSweeper } from '../confirmation-sweeper.ts';
import { noticeMessage } from '../notice-actions.ts';
import { noticeTarget } from '../notice-target.ts';
import type { PlatformDeps, RunningPlatform } from '../platform.ts';
import { DiscordBotContext } from './discord-bot-context.ts';
import { DiscordConnection } from './discord-connection.ts';
import { listenForInteractions } from './listeners/interactions.ts';
import { listenForMessages } from './listeners/messages.ts';

/**
 * gpuops in Discord, through discord.js: the `/gpu request:<text>` command (deferred at once, then
 * answered), a message that mentions the bot (answered in a thread made from it, or as a reply
 * where threads are not allowed), direct messages, and replies in a thread the bot answered. The
 * connection (discord-connection.ts) brings the events; the listeners (listeners/: messages, and
 * interactions for commands and buttons) answer them; the surface (discord-surface.ts) is how
 * anything is posted or edited.
 */
export async function startDiscordBot(deps: PlatformDeps): Promise<RunningPlatform> {
  const discord = deps.config.discord;
  if (!discord) throw new GpuopsError(ErrorCode.ConfigInvalid, 'DISCORD_TOKEN is not set.');
  const log = deps.log.child({ platform: 'discord' });
  const connection = new DiscordConnection(discord, log);
  const { client } = connection;
  const bot = new DiscordBotContext(deps, client, log);
  listenForMessages(client, bot);
  listenForInteractions(client, bot);

  const stopSweeper = startConfirmationSweeper(
    deps.confirmations,
    'discord',
    (at) => bot.surfaceAt({ channel: at.channel, postIn: at.channel }),
    log,
  );
  try {
    await connection.login();
  } catch (err) {
    stopSweeper();
    throw err;
  }
  await deps.chat.follower.adoptOrphans({
    platform: 'discord',
    surfaceFor: (replyTo) => bot.surfaceFor(replyTo),
  });
  // What the reconciler and workers found goes to the thread (or channel) the instance came from.
  // Resolves once Discord took the post: the feed marks the notice delivered only then. The nonce
  // makes a second post of the notice (after a process died before marking it) return the first.
  const stopNotices = deps.notices?.subscribePlatform('discord', (notice) =>
    bot.surfaceFor(noticeTarget(notice)).post(noticeMessage(notice), {
      // Unique per notice, and per deployment too by its creation time (notice ids restart per database).
      nonce: `n${notice.id}-${new Date(notice.created_at).getTime().toString(36)}`,
    }),
  );
  log.info({ user: client.user?.id, guilds: client.guilds.cache.size }, 'Discord bot started');

  return {
    name: 'discord',
    check: () => connection.check(),
    async close() {
      stopSweeper();
      stopNotices?.();
      await connection.close();
    },
  };
}
