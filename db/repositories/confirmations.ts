import type { Kysely } from 'kysely';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
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
  context: Record<string, unknown>;
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
