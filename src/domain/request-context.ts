/** Where a job's progress and result should be posted: opaque to everything but the bots. */
export interface ReplyTarget {
  surface: string;
  channel: string;
  /** The workspace (Slack team) or guild the channel is in. */
  workspace?: string;
  thread?: string;
  /** The progress message, once posted (its id on the platform). */
  message?: string;
}

/** Who is asking and where the answer goes. */
export interface RequestContext {
  /** Who asks: platform-qualified on chat platforms (`slack:T1:U1`), the login on the terminal. */
  user: string;
  /** How the person is shown (audit log, messages); defaults to `user`. */
  userName?: string;
  platform?: string;
  /** Instances belong to the channel they were deployed from; other channels cannot touch them. */
  channel: string;
  thread?: string;
  /** The conversation (thread) the request belongs to, when it has one of its own. */
  conversation?: string;
  replyTo: ReplyTarget;
}

/** The requester as the audit log and messages name them. */
export function requesterName(ctx: RequestContext): string {
  return ctx.userName && ctx.userName !== ctx.user ? `${ctx.userName} (${ctx.user})` : ctx.user;
}
