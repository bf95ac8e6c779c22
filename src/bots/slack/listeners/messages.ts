import type { App } from '@slack/bolt';
import { hasConversation } from '../../../../db/repositories/conversations.ts';
import { conversationKey } from '../../../agent/chat-surface.ts';
import { failureAnswer } from '../../failure-answer.ts';
import type { SlackBotContext } from '../slack-bot-context.ts';
import { decodeSlackText } from '../slack-format.ts';
import type { SlackPlace } from '../slack-surface.ts';

/** The fields of a Slack message or app_mention event gpuops reads. */
interface SlackMessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  team?: string;
}

/**
 * Messages addressed to the bot: a mention in a channel, a direct message, and a reply in a thread
 * the bot answered. Each is answered in its thread; a failure is told to its sender only.
 */
export function listenForMessages(app: App, bot: SlackBotContext): void {
  const { botUserId, db, log } = bot;

  async function onMessage(event: SlackMessageEvent, team: string | undefined): Promise<void> {
    if (event.bot_id || !event.user || event.user === botUserId) return;
    const thread = event.thread_ts ?? event.ts;
    const tell = (t: string) =>
      bot.client.chat.postEphemeral({
        channel: event.channel,
        user: String(event.user),
        text: t,
        thread_ts: thread,
      });
    // A mention and the message it is in arrive as two events: the message's key takes it once.
    if (!(await bot.admit(`message:${event.channel}:${event.ts}`, team, tell))) return;
    const text = decodeSlackText(event.text ?? '', { botUserId });
    const place: SlackPlace = {
      ...(team && { team }),
      channel: event.channel,
      thread,
      requester: event.user,
    };
    await bot.serve(
      {
        platform: 'slack',
        ...(team && { workspace: team }),
        channel: event.channel,
        thread,
        user: { id: event.user, name: await bot.nameOf(event.user) },
        text,
      },
      place,
    );
  }

  /** Tells the sender of a message privately, in its thread, that answering it failed. */
  async function messageFailed(event: SlackMessageEvent, err: unknown, what: string): Promise<void> {
    log.error({ err }, `could not answer a Slack ${what}`);
    if (!event.user) return;
    await bot.client.chat
      .postEphemeral({
        channel: event.channel,
        user: event.user,
        text: failureAnswer(err).text,
        thread_ts: event.thread_ts ?? event.ts,
      })
      .catch((tellErr: unknown) =>
        log.warn({ err: tellErr }, `could not tell the sender a Slack ${what} failed`),
      );
  }

  app.event('app_mention', async ({ event, body }) => {
    const mention = event as SlackMessageEvent;
    void onMessage(mention, body.team_id ?? mention.team).catch((err: unknown) =>
      messageFailed(mention, err, 'mention'),
    );
  });

  app.message(async ({ message, body }) => {
    const event = message as SlackMessageEvent;
    // Edits, joins and bots' posts carry a subtype; only people's new messages are requests.
    if (event.subtype !== undefined) return;
    const team = (body as { team_id?: string }).team_id ?? event.team;
    const mentionsBot = botUserId !== '' && (event.text ?? '').includes(`<@${botUserId}`);
    if (event.channel_type !== 'im') {
      // In channels the bot answers mentions (app_mention) and replies in threads it is part of.
      if (mentionsBot || !event.thread_ts) return;
      const conversation = conversationKey(
        { platform: 'slack', workspace: team, channel: event.channel },
        event.thread_ts,
      );
      if (!(await hasConversation(db, conversation))) return;
    }
    void onMessage(event, team).catch((err: unknown) => messageFailed(event, err, 'message'));
  });
}
