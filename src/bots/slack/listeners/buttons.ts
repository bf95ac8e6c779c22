import type { App, BlockButtonAction } from '@slack/bolt';
import { qualifiedChannel } from '../../../agent/chat-surface.ts';
import { answerNoticeClick } from '../../answer-notice-click.ts';
import { CANCEL_ACTION, CONFIRM_ACTION } from '../../button-confirmations.ts';
import { failureAnswer } from '../../failure-answer.ts';
import { NOTICE_ACTION, NOTICE_ACTION_ID } from '../../notice-actions.ts';
import { workspaceAllowed } from '../../platform.ts';
import type { SlackBotContext } from '../slack-bot-context.ts';
import type { SlackPlace } from '../slack-surface.ts';

type ButtonAction = BlockButtonAction['actions'][number];

/**
 * Button clicks: Confirm and Cancel on a confirmation, the buttons of a notice, and any other
 * button (acknowledged, explained, nothing runs). Every click is acknowledged first; a failure is
 * told to whoever clicked, privately.
 */
export function listenForButtons(app: App, bot: SlackBotContext): void {
  const { config, chat, confirmations, log } = bot;

  /**
   * Where a click came from and how to answer the clicker privately (in `thread`); undefined when
   * it came from outside a channel, or from a workspace not allowed (the clicker is told).
   */
  async function clickPlace(body: BlockButtonAction, thread: string | undefined) {
    const team = body.team?.id ?? body.user.team_id;
    const channel = body.channel?.id;
    if (!channel) return undefined;
    const tell = (text: string) =>
      bot.client.chat.postEphemeral({
        channel,
        user: body.user.id,
        text,
        ...(thread && { thread_ts: thread }),
      });
    if (!workspaceAllowed(config, team)) {
      await tell('This gpuops is not set up for this workspace; nothing was done.');
      return undefined;
    }
    return { team, channel, tell };
  }

  /** Tells whoever clicked, privately, that their click failed. */
  async function clickFailed(body: BlockButtonAction, err: unknown): Promise<void> {
    log.error({ err }, 'could not handle a Slack button');
    const channel = body.channel?.id;
    const thread = body.message?.thread_ts ?? body.message?.ts;
    if (!channel) return;
    await bot.client.chat
      .postEphemeral({
        channel,
        user: body.user.id,
        text: failureAnswer(err).text,
        ...(thread && { thread_ts: thread }),
      })
      .catch((tellErr: unknown) => log.warn({ err: tellErr }, 'could not tell the clicker a button failed'));
  }

  /** Confirm or Cancel: decided once, by the requester, in the channel it was asked in. */
  async function onConfirmation(body: BlockButtonAction, action: ButtonAction): Promise<void> {
    const where = await clickPlace(body, body.message?.thread_ts);
    if (!where) return;
    const { team, channel, tell } = where;
    const outcome = await confirmations.click({
      action: action.action_id,
      confirmationId: String(action.value ?? ''),
      user: `slack:${team ?? 'direct'}:${body.user.id}`,
      userName: body.user.name ?? (await bot.nameOf(body.user.id)),
      channel: qualifiedChannel({ platform: 'slack', ...(team && { workspace: team }), channel }),
    });
    if (outcome.kind === 'unknown' || outcome.kind === 'elsewhere' || outcome.kind === 'not-requester') {
      await tell(outcome.text);
      return;
    }
    const question = outcome.row.message;
    const place: SlackPlace = {
      ...(team && { team }),
      channel,
      ...(question?.thread && { thread: question.thread }),
      requester: body.user.id,
    };
    const surface = bot.surfaceAt(place);
    if (outcome.kind === 'closed') {
      // Expired: the buttons say so. Decided already (a double click, another process): the
      // message shows that decision; only the clicker is told.
      if (outcome.row.state === 'expired' || outcome.row.state === 'pending') {
        if (question?.message) {
          await surface
            .update({ id: question.message }, { kind: 'reply', text: outcome.text })
            .catch(() => undefined);
        }
      }
      await tell(outcome.text);
      return;
    }
    if (question?.message) {
      await surface
        .update({ id: question.message }, { kind: 'reply', text: `${outcome.row.question}\n${outcome.text}` })
        .catch(() => undefined);
    }
    if (outcome.kind === 'confirmed') {
      await chat.runConfirmed({ tool: outcome.row.tool, args: outcome.row.args }, outcome.context, surface);
    }
  }

  /** A notice's button: its stored call runs once, as whoever clicked, in the notice's thread. */
  async function onNotice(body: BlockButtonAction, action: ButtonAction): Promise<void> {
    const thread = body.message?.thread_ts ?? body.message?.ts;
    const where = await clickPlace(body, thread);
    if (!where) return;
    const { team, channel, tell } = where;
    const notice = body.message?.ts;
    const surface = bot.surfaceAt({
      ...(team && { team }),
      channel,
      ...(thread && { thread }),
      requester: body.user.id,
    });
    await answerNoticeClick(
      bot,
      {
        platform: 'slack',
        ...(team && { workspace: team }),
        channel,
        ...(thread && { thread }),
        user: { id: body.user.id, name: body.user.name ?? (await bot.nameOf(body.user.id)) },
      },
      String(action.value ?? ''),
      {
        tell,
        settle: async (acted) => {
          if (notice) await surface.update({ id: notice }, acted);
        },
        surface,
      },
    );
  }

  app.action(
    { type: 'block_actions', action_id: new RegExp(`^(${CONFIRM_ACTION}|${CANCEL_ACTION})$`) },
    async ({ ack, body, action }) => {
      await ack();
      void onConfirmation(body as BlockButtonAction, action as ButtonAction).catch((err: unknown) =>
        clickFailed(body as BlockButtonAction, err),
      );
    },
  );
  app.action({ type: 'block_actions', action_id: NOTICE_ACTION_ID }, async ({ ack, body, action }) => {
    await ack();
    void onNotice(body as BlockButtonAction, action as ButtonAction).catch((err: unknown) =>
      clickFailed(body as BlockButtonAction, err),
    );
  });
  // Any other button (an old message, a forged payload): acknowledged, explained, nothing runs.
  app.action(
    {
      type: 'block_actions',
      action_id: new RegExp(`^(?!${CONFIRM_ACTION}$|${CANCEL_ACTION}$|${NOTICE_ACTION}\\d{1,2}$)`),
    },
    async ({ ack, body }) => {
      await ack();
      const b = body as BlockButtonAction;
      if (b.channel?.id) {
        await bot.client.chat
          .postEphemeral({
            channel: b.channel.id,
            user: b.user.id,
            text: 'That button is not one of gpuops’s; nothing was done.',
          })
          .catch(() => undefined);
      }
    },
  );
}
