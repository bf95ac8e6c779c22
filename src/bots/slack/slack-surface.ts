import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type {
  ChatSurface,
  ConfirmAnswer,
  ConfirmOptions,
  MessageRef,
  OutgoingMessage,
} from '../../agent/chat-surface.ts';
import type { ButtonConfirmations } from '../button-confirmations.ts';
import type { EditBudget } from '../edit-budget.ts';
import { slackButtons, toSlackMessage } from './slack-format.ts';

/** What every Slack surface of one bot shares. */
export interface SlackWire {
  client: WebClient;
  /** Edits per workspace, across all the operations followed at once. */
  budget: EditBudget;
  confirmations: ButtonConfirmations;
  log: Logger;
}

/** Where a surface speaks: a channel, the thread of the request, and who asked. */
export interface SlackPlace {
  team?: string;
  channel: string;
  thread?: string;
  /** The requester's Slack user id, for answers only they see. */
  requester?: string;
}

/** One request's place in Slack (its thread) as a ChatSurface. */
export class SlackSurface implements ChatSurface {
  readonly name = 'slack';

  constructor(
    private readonly wire: SlackWire,
    private readonly place: SlackPlace,
  ) {}

  async post(message: OutgoingMessage): Promise<MessageRef> {
    const { client } = this.wire;
    const { channel, thread, requester } = this.place;
    const formatted = this.format(message);
    if (message.visibility === 'requester' && requester) {
      const sent = await client.chat.postEphemeral({
        channel,
        user: requester,
        text: formatted.text,
        blocks: formatted.blocks,
        ...(thread && { thread_ts: thread }),
      });
      return { id: String(sent.message_ts ?? '') };
    }
    const sent = await client.chat.postMessage({
      channel,
      text: formatted.text,
      blocks: formatted.blocks,
      unfurl_links: false,
      unfurl_media: false,
      ...(thread && { thread_ts: thread }),
    });
    if (formatted.file) {
      // The message already says the full answer is attached; a failed upload is logged, not fatal.
      const file = {
        filename: formatted.file.filename,
        title: formatted.file.filename,
        content: formatted.file.content,
      };
      await client
        .filesUploadV2(
          thread ? { ...file, channel_id: channel, thread_ts: thread } : { ...file, channel_id: channel },
        )
        .catch((err: unknown) => this.wire.log.warn({ err }, 'could not attach the full answer'));
    }
    return { id: String(sent.ts ?? '') };
  }

  async update(ref: MessageRef, message: OutgoingMessage, newest?: () => OutgoingMessage): Promise<void> {
    await this.wire.budget.spend(this.place.team ?? this.place.channel, async () => {
      // Read when the budget's turn comes, not when asked: what arrived while this edit waited
      // (a final state) goes out now instead of queueing for another turn.
      const formatted = this.format(newest?.() ?? message);
      await this.wire.client.chat.update({
        channel: this.place.channel,
        ts: ref.id,
        text: formatted.text,
        blocks: formatted.blocks,
      });
    });
  }

  confirm(question: string, options?: ConfirmOptions): Promise<ConfirmAnswer> {
    return this.wire.confirmations.ask(
      this,
      {
        surface: 'slack',
        channel: this.place.channel,
        ...(this.place.team && { workspace: this.place.team }),
        ...(this.place.thread && { thread: this.place.thread }),
      },
      question,
      options,
    );
  }

  private format(message: OutgoingMessage) {
    const formatted = toSlackMessage(message);
    if (message.actions && message.actions.length > 0) {
      formatted.blocks.push(slackButtons(message.actions));
    }
    return formatted;
  }
}
