import { z } from 'zod';

/**
 * Where a job's progress and result should be posted: opaque to everything but the bots. A schema,
 * not only a type, because it is stored (with a confirmation, an operation) and read back.
 */
export const replyTargetSchema = z.object({
  surface: z.string(),
  channel: z.string(),
  /** The workspace (Slack team) or guild the channel is in. */
  workspace: z.string().optional(),
  thread: z.string().optional(),
  /** The progress message, once posted (its id on the platform). */
  message: z.string().optional(),
});
export type ReplyTarget = z.infer<typeof replyTargetSchema>;

/** Who is asking and where the answer goes. */
export const requestContextSchema = z.object({
  /** Who asks: platform-qualified on chat platforms (`slack:T1:U1`), the login on the terminal. */
  user: z.string(),
  /** How the person is shown (audit log, messages); defaults to `user`. */
  userName: z.string().optional(),
  platform: z.string().optional(),
  /** Instances belong to the channel they were deployed from; other channels cannot touch them. */
  channel: z.string(),
  thread: z.string().optional(),
  /** The conversation (thread) the request belongs to, when it has one of its own. */
  conversation: z.string().optional(),
  replyTo: replyTargetSchema,
});
export type RequestContext = z.infer<typeof requestContextSchema>;

/** The requester as the audit log and messages name them. */
export function requesterName(ctx: RequestContext): string {
  return ctx.userName && ctx.userName !== ctx.user ? `${ctx.userName} (${ctx.user})` : ctx.user;
}
