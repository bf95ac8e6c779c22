import { type RawFile, type REST, Routes } from 'discord.js';
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
import { type DiscordMessagePayload, discordButtons, toDiscordMessages } from './discord-format.ts';

/** What every Discord surface of one bot shares. */
export interface DiscordWire {
  rest: REST;
  /** Message edits per channel, across all the operations followed at once. */
  budget: EditBudget;
  confirmations: ButtonConfirmations;
  log: Logger;
}

/** Where a surface speaks: a channel or thread, and the message to reply to where threads are not allowed. */
export interface DiscordPlace {
  guild?: string;
  /** The channel the request belongs to (a thread's parent). */
  channel: string;
  /** Where messages go: the thread, or the channel itself. */
  postIn: string;
  thread?: string;
  /** Answers reply to this message (when no thread could be made). */
  replyTo?: string;
}

/**
 * One request's place in Discord as a ChatSurface. Messages go through the bot's REST token, not
 * the interaction's, so progress keeps being edited after the 15 minutes an interaction token lasts.
 */
export class DiscordSurface implements ChatSurface {
  readonly name = 'discord';

  constructor(
    private readonly wire: DiscordWire,
    private readonly place: DiscordPlace,
  ) {}

  /**
   * Posts `message`. With a `nonce` (at most 25 characters, one per message to be posted once),
   * Discord returns the message already made with it instead of a second one (`enforce_nonce`,
   * honoured for a few minutes), so a retried post is not shown twice.
   */
  async post(message: OutgoingMessage, once?: { nonce: string }): Promise<MessageRef> {
    const payloads = toDiscordMessages(message);
    let last: MessageRef = { id: '' };
    for (const [index, payload] of payloads.entries()) {
      const isLast = index === payloads.length - 1;
      const body = {
        ...wireBody(payload),
        ...(isLast && message.actions?.length ? { components: [discordButtons(message.actions)] } : {}),
        ...(index === 0 && this.place.replyTo
          ? { message_reference: { message_id: this.place.replyTo, fail_if_not_exists: false } }
          : {}),
        ...(once && {
          nonce: `${once.nonce}${payloads.length > 1 ? `-${index}` : ''}`.slice(-25),
          enforce_nonce: true,
        }),
      };
      const files: RawFile[] | undefined = payload.file
        ? [
            {
              name: payload.file.name,
              data: Buffer.from(payload.file.content, 'utf8'),
              contentType: 'text/plain',
            },
          ]
        : undefined;
      const sent = (await this.wire.rest.post(Routes.channelMessages(this.place.postIn), {
        body,
        ...(files && { files }),
      })) as { id: string };
      last = { id: sent.id };
    }
    return last;
  }

  async update(ref: MessageRef, message: OutgoingMessage, newest?: () => OutgoingMessage): Promise<void> {
    await this.wire.budget.spend(this.place.postIn, async () => {
      // Read when the budget's turn comes, not when asked: what arrived while this edit waited
      // (a final state) goes out now instead of queueing for another turn.
      const current = newest?.() ?? message;
      // An edited message is one message: the first payload (progress always fits in one).
      const [payload] = toDiscordMessages(current);
      if (!payload) return;
      await this.wire.rest.patch(Routes.channelMessage(this.place.postIn, ref.id), {
        body: {
          ...wireBody(payload),
          components: current.actions?.length ? [discordButtons(current.actions)] : [],
        },
      });
    });
  }

  confirm(question: string, options?: ConfirmOptions): Promise<ConfirmAnswer> {
    return this.wire.confirmations.ask(
      this,
      {
        surface: 'discord',
        channel: this.place.postIn,
        ...(this.place.guild && { workspace: this.place.guild }),
        ...(this.place.thread && { thread: this.place.thread }),
      },
      question,
      options,
    );
  }
}

/** A formatted payload as the REST API takes it (snake_case, no pings). */
function wireBody(payload: DiscordMessagePayload): Record<string, unknown> {
  return {
    content: payload.content,
    embeds: payload.embeds ?? [],
    allowed_mentions: { parse: [] },
  };
}
