import type { Kysely } from 'kysely';
import { claimNoticeAction, getNotice } from '../../db/repositories/notices.ts';
import type { Database, NoticeAction, NoticeRow } from '../../db/schema.ts';
import type { OutgoingMessage } from '../agent/chat-surface.ts';

/**
 * The action ids of a notice's buttons are this prefix and the action's place (ids are unique
 * within a message); the value names the notice and which of its actions.
 */
export const NOTICE_ACTION = 'gpuops_notice_';
/** Matches the action id of any notice button. */
export const NOTICE_ACTION_ID = /^gpuops_notice_\d{1,2}$/;

/** A notice as chats show it: its text and, when it offers any, a button per action. */
export function noticeMessage(notice: NoticeRow): OutgoingMessage {
  const actions = notice.actions ?? [];
  return {
    kind: 'reply',
    text: `⚠️ ${notice.text}`,
    ...(actions.length > 0 &&
      notice.acted_at === null && {
        actions: actions.map((action, index) => ({
          id: `${NOTICE_ACTION}${index}`,
          label: action.label,
          style: 'primary' as const,
          value: `${notice.id}:${index}`,
        })),
      }),
  };
}

/** A click on a notice's button as an adapter reads it. */
export interface NoticeClick {
  value: string;
  /** The platform-qualified channel the click came from (`slack:T1:C1`). */
  channel: string;
  /** Platform-qualified, as RequestContext.user. */
  user: string;
  userName: string;
}

export type NoticeClickOutcome =
  | { kind: 'refused'; text: string }
  | { kind: 'taken'; notice: NoticeRow; text: string }
  | { kind: 'run'; notice: NoticeRow; action: NoticeAction; text: string };

/**
 * Decides a click on a notice's button. Notices go to a channel, so anyone there may act on one,
 * once; the call a button runs is the one stored with the notice (the click carries only which),
 * and it runs as the person who clicked, through the tool's own checks and confirmation.
 */
export async function decideNoticeClick(
  db: Kysely<Database>,
  click: NoticeClick,
): Promise<NoticeClickOutcome> {
  const match = /^(\d{1,9}):(\d{1,2})$/.exec(click.value);
  const notice = match ? await getNotice(db, Number(match[1])) : undefined;
  const action = notice?.actions?.[Number(match?.[2])];
  if (!notice || !action) {
    return { kind: 'refused', text: 'That button is not one gpuops knows; nothing was done.' };
  }
  if (notice.channel !== click.channel) {
    return {
      kind: 'refused',
      text: 'That button belongs to a notice for another channel; nothing was done.',
    };
  }
  const claimed = await claimNoticeAction(db, notice.id, click.userName);
  if (!claimed) {
    const now = (await getNotice(db, notice.id)) ?? notice;
    return {
      kind: 'taken',
      notice: now,
      text: `${now.acted_by ?? 'Someone'} already acted on this; nothing more was done.`,
    };
  }
  return { kind: 'run', notice: claimed, action, text: `${click.userName} chose “${action.label}”.` };
}

/** What a notice says once acted on: its text, who chose what, and no buttons. */
export function actedNoticeMessage(notice: NoticeRow, chose: string): OutgoingMessage {
  return { kind: 'reply', text: `⚠️ ${notice.text}\n✅ ${chose}` };
}
