import { startConfirmationSweeper } from '../confirmation-sweeper.ts';
import { noticeMessage } from '../notice-actions.ts';
import { noticeTarget } from '../notice-target.ts';
import type { PlatformDeps, RunningPlatform } from '../platform.ts';
import { listenForButtons } from './listeners/buttons.ts';
import { listenForCommands } from './listeners/commands.ts';
import { listenForMessages } from './listeners/messages.ts';
import { SlackBotContext } from './slack-bot-context.ts';
import { SlackConnection, type SlackConnectionOptions } from './slack-connection.ts';

/** chat.update is Tier 3 (50+ a minute per workspace); gpuops keeps well under it for all its messages. */
const EDITS_PER_MINUTE_PER_WORKSPACE = 36;

export interface SlackBotOptions extends SlackConnectionOptions {
  /** Edits per minute per workspace; default 36. */
  editsPerMinute?: number;
}

/**
 * gpuops in Slack, through Bolt: `/gpu <request>`, a mention in a channel, a direct message, and
 * replies in a thread the bot answered. The connection (slack-connection.ts) brings the events;
 * the listeners (listeners/: messages, commands, buttons) acknowledge each first and answer in
 * the request's thread; the surface (slack-surface.ts) is how anything is posted or edited.
 */
export async function startSlackBot(
  deps: PlatformDeps,
  options: SlackBotOptions = {},
): Promise<RunningPlatform> {
  const log = deps.log.child({ platform: 'slack' });
  const connection = await SlackConnection.open(deps, log, options);
  const { app, botUserId } = connection;
  const bot = new SlackBotContext(
    deps,
    app.client,
    botUserId,
    log,
    options.editsPerMinute ?? EDITS_PER_MINUTE_PER_WORKSPACE,
  );
  listenForCommands(app, bot);
  listenForMessages(app, bot);
  listenForButtons(app, bot);

  const stopSweeper = startConfirmationSweeper(
    deps.confirmations,
    'slack',
    (at) => bot.surfaceAt({ ...(at.workspace && { team: at.workspace }), channel: at.channel }),
    log,
  );
  // Resolves once Slack took the post: the feed marks the notice delivered only then.
  const stopNotices = deps.notices?.subscribePlatform('slack', (notice) =>
    bot.surfaceFor(noticeTarget(notice)).post(noticeMessage(notice)),
  );

  await connection.start();
  await deps.chat.follower.adoptOrphans({
    platform: 'slack',
    surfaceFor: (replyTo) => bot.surfaceFor(replyTo),
  });
  log.info(
    { mode: connection.socketMode ? 'socket' : 'http', team: connection.team, bot: botUserId },
    'Slack bot started',
  );

  return {
    name: 'slack',
    check: () => connection.check(),
    async close() {
      stopSweeper();
      stopNotices?.();
      await connection.stop();
    },
  };
}
