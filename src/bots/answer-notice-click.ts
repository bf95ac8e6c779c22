import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, NoticeRow } from '../../db/schema.ts';
import {
  type ChatRequest,
  type ChatSurface,
  contextFor,
  type OutgoingMessage,
} from '../agent/chat-surface.ts';
import type { ChatRequests } from './chat-requests.ts';
import { actedNoticeMessage, decideNoticeClick } from './notice-actions.ts';

/** How a platform answers a click on a notice's button. */
export interface NoticeClickAnswer {
  /** Tells only the clicker why nothing ran (a refused click, or someone acted first). */
  tell(text: string): Promise<unknown>;
  /** Shows the notice as acted on, without its buttons. */
  settle(acted: OutgoingMessage, notice: NoticeRow): Promise<unknown>;
  /** Where the call's answers go. */
  surface: ChatSurface;
}

/**
 * A click on a notice's button: runs the notice's stored call once, as whoever clicked (`at`, the
 * channel and thread the click came from), through the tool's own checks and confirmation.
 */
export async function answerNoticeClick(
  deps: { db: Kysely<Database>; chat: ChatRequests; log: Logger },
  at: Omit<ChatRequest, 'text'>,
  value: string,
  answer: NoticeClickAnswer,
): Promise<void> {
  const context = contextFor({ ...at, text: '' });
  const outcome = await decideNoticeClick(deps.db, {
    value,
    channel: context.channel,
    user: context.user,
    userName: at.user.name,
  });
  if (outcome.kind !== 'run') {
    await answer.tell(outcome.text);
    return;
  }
  // The click is claimed: a notice that cannot be updated must not keep its call from running.
  await answer
    .settle(actedNoticeMessage(outcome.notice, outcome.text), outcome.notice)
    .catch((err: unknown) =>
      deps.log.warn({ err, notice: outcome.notice.id }, 'could not update the notice'),
    );
  await deps.chat.runAction(outcome.action, context, answer.surface);
}
