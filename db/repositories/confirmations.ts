import type { Kysely } from 'kysely';
import {
  type ReplyTarget,
  type RequestContext,
  requestContextSchema,
} from '../../src/domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import type { ConfirmationRow, ConfirmationState, Database } from '../schema.ts';

/** Questions put to a requester with buttons; each is decided once, by its requester, in time. */

export interface NewConfirmation {
  id: string;
  platform: string;
  channel: string;
  requester: string;
  requesterName: string;
  question: string;
  tool: string;
  args: Record<string, unknown>;
  context: RequestContext;
  expiresAt: Date;
}

export async function createConfirmation(db: Kysely<Database>, c: NewConfirmation): Promise<void> {
  await db
    .insertInto('confirmations')
    .values({
      id: c.id,
      platform: c.platform,
      channel: c.channel,
      requester: c.requester,
      requester_name: c.requesterName,
      question: c.question,
      tool: c.tool,
      args: JSON.stringify(c.args),
      context: JSON.stringify(c.context),
      expires_at: c.expiresAt,
    })
    .execute();
}

export async function setConfirmationMessage(
  db: Kysely<Database>,
  id: string,
  message: ReplyTarget,
): Promise<void> {
  await db
    .updateTable('confirmations')
    .set({ message: JSON.stringify(message) })
    .where('id', '=', id)
    .execute();
}

export async function getConfirmation(
  db: Kysely<Database>,
  id: string,
): Promise<ConfirmationRow | undefined> {
  return db.selectFrom('confirmations').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The request a confirmation was asked in, read back to run its call as the requester. gpuops
 * stored it, so one that does not read as a request is gpuops's own fault (Internal), named with
 * the first field that is wrong; nothing runs on a guess.
 */
export function confirmationContext(row: Pick<ConfirmationRow, 'id' | 'context'>): RequestContext {
  const parsed = requestContextSchema.safeParse(row.context);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new GpuopsError(
    ErrorCode.Internal,
    `Confirmation ${row.id} was stored with a request that does not read as one (${where}${issue?.message ?? 'unreadable'}); nothing was done. Ask for it again.`,
    { details: { confirmation: row.id } },
  );
}

/**
 * Decides a pending, unexpired confirmation; undefined when it was already decided or has
 * expired (a double click, a second process, a late click). Atomic, so exactly one click wins.
 */
export async function decideConfirmation(
  db: Kysely<Database>,
  id: string,
  decision: Extract<ConfirmationState, 'confirmed' | 'declined'>,
  by: string,
): Promise<ConfirmationRow | undefined> {
  return db
    .updateTable('confirmations')
    .set({ state: decision, decided_by: by, decided_at: new Date() })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where('expires_at', '>', new Date())
    .returningAll()
    .executeTakeFirst();
}

/** Marks pending confirmations past their time as expired and returns them (their buttons go). */
export async function expireConfirmations(
  db: Kysely<Database>,
  platform: string,
): Promise<ConfirmationRow[]> {
  return db
    .updateTable('confirmations')
    .set({ state: 'expired', decided_at: new Date() })
    .where('platform', '=', platform)
    .where('state', '=', 'pending')
    .where('expires_at', '<=', new Date())
    .returningAll()
    .execute();
}
