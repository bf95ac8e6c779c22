import type { App } from '@slack/bolt';
import { tooLong } from '../../chat-requests.ts';
import { failureAnswer } from '../../failure-answer.ts';
import type { SlackBotContext } from '../slack-bot-context.ts';
import { slackError } from '../slack-error.ts';
import { decodeSlackText, escapeSlackText } from '../slack-format.ts';
import type { SlackPlace } from '../slack-surface.ts';

/**
 * `/gpu <request>`: acknowledged at once; the request is then posted in the channel as "asked: …"
 * and answered in that message's thread. Failures are told to the requester only.
 */
export function listenForCommands(app: App, bot: SlackBotContext): void {
  const { config, log } = bot;
  app.command('/gpu', async ({ command, ack, respond }) => {
    const text = decodeSlackText(command.text ?? '', { botUserId: bot.botUserId });
    await ack();
    if (text === '') {
      await respond({
        response_type: 'ephemeral',
        text: 'Tell me what you need after /gpu, e.g. `/gpu what do I need to serve Llama 3.1 8B?` or `/gpu list my instances`.',
      }).catch((err: unknown) => log.warn({ err }, 'could not answer an empty /gpu'));
      return;
    }
    const tell = (t: string) => respond({ response_type: 'ephemeral', text: t });
    void (async () => {
      if (!(await bot.admit(`command:${command.team_id}:${command.trigger_id}`, command.team_id, tell)))
        return;
      // Refused before it is echoed: the request is posted as "asked: …" only once it is read.
      const refusal = tooLong(text, config.chat.maxRequestChars);
      if (refusal) {
        await tell(refusal.text);
        return;
      }
      // A slash command leaves nothing in the channel: the request is posted so its answer has a thread.
      const parent = await bot.client.chat
        .postMessage({
          channel: command.channel_id,
          text: `<@${command.user_id}> asked: ${escapeSlackText(text)}`,
          unfurl_links: false,
        })
        .catch(async (err: unknown) => {
          await tell(
            `I could not post in this channel (${slackError(err)}). Invite me with \`/invite @gpuops\`, or message me directly.`,
          ).catch(() => undefined);
          return undefined;
        });
      if (!parent?.ts) return;
      const place: SlackPlace = {
        team: command.team_id,
        channel: command.channel_id,
        thread: parent.ts,
        requester: command.user_id,
      };
      await bot.serve(
        {
          platform: 'slack',
          workspace: command.team_id,
          channel: command.channel_id,
          thread: parent.ts,
          user: { id: command.user_id, name: command.user_name || (await bot.nameOf(command.user_id)) },
          text,
        },
        place,
      );
    })().catch(async (err: unknown) => {
      log.error({ err }, 'could not answer a Slack command');
      await tell(failureAnswer(err).text).catch((tellErr: unknown) =>
        log.warn({ err: tellErr }, 'could not tell the requester a Slack command failed'),
      );
    });
  });
}
