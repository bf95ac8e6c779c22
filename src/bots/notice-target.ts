import type { NoticeRow } from '../../db/schema.ts';
import type { ReplyTarget } from '../domain/request-context.ts';

/**
 * Where a notice is posted: the thread (or channel) its instance was deployed from, or else the
 * channel it was left for, read from the end of its platform-qualified name (`slack:T1:C1`).
 */
export function noticeTarget(notice: NoticeRow): Pick<ReplyTarget, 'channel' | 'workspace' | 'thread'> {
  const at = notice.reply_to;
  return {
    channel: at?.channel ?? notice.channel.split(':').at(-1) ?? '',
    ...(at?.workspace && { workspace: at.workspace }),
    ...(at?.thread && { thread: at.thread }),
  };
}
