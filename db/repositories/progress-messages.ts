import { type Kysely, sql } from 'kysely';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
import { defineLease } from '../lease.ts';
import type { Database, OperationRow } from '../schema.ts';

/**
 * Which bot process keeps each operation's progress message current. A process holds a lease
 * while it follows an operation and renews it; when the process dies the lease lapses and another
 * (or the restarted one) takes the message over, so every message reaches its final state. The
 * lease runs on the database's clock (db/lease.ts), never on a bot process's own.
 */

const messageLease = defineLease('operations', { holder: 'reply_owner', until: 'reply_lease_until' });

/** Records where the progress message is and that `owner` keeps it current for `leaseMs` from now. */
export async function recordProgressMessage(
  db: Kysely<Database>,
  operationId: string,
  replyTo: ReplyTarget,
  owner: string,
  leaseMs: number,
): Promise<void> {
  // The message was just posted, so nobody else can hold it yet: its poster takes it as it is.
  const { set } = messageLease.claim(owner, leaseMs);
  await db
    .updateTable(messageLease.table)
    .set({ ...set, reply_to: JSON.stringify(replyTo) })
    .where('id', '=', operationId)
    .execute();
}

/**
 * Extends `owner`'s lease on the operation's message; false when it is no longer `owner`'s
 * (another process took it over, or its final state was shown).
 */
export async function renewProgressLease(
  db: Kysely<Database>,
  operationId: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const renew = messageLease.renew(owner, leaseMs);
  const renewed = await db
    .updateTable(messageLease.table)
    .set(renew.set)
    .where(renew.where)
    .where('id', '=', operationId)
    .where('reply_done_at', 'is', null)
    .executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

/** The final state was shown (or there is no message to show it in): nothing more is owed. */
export async function markProgressShown(db: Kysely<Database>, operationId: string): Promise<void> {
  await db
    .updateTable('operations')
    .set({ reply_done_at: sql<Date>`now()`, reply_lease_until: null })
    .where('id', '=', operationId)
    .where('reply_done_at', 'is', null)
    .execute();
}

/** Lets go of a message without showing its end (this process is stopping): another takes it. */
export async function releaseProgressLease(
  db: Kysely<Database>,
  operationId: string,
  owner: string,
): Promise<void> {
  const release = messageLease.release(owner);
  await db
    .updateTable(messageLease.table)
    .set(release.set)
    .where(release.where)
    .where('id', '=', operationId)
    .execute();
}

/**
 * Claims, for `leaseMs`, progress messages on `surface` that are still owed a final state, that
 * nobody holds (never leased, released, or run out) and whose operation began within `withinMs`,
 * newest first. A claim is atomic: two processes never both get one message.
 */
export async function claimOrphanedProgress(
  db: Kysely<Database>,
  surface: string,
  owner: string,
  leaseMs: number,
  options: { limit: number; withinMs: number },
): Promise<OperationRow[]> {
  const candidates = await db
    .selectFrom(messageLease.table)
    .select('id')
    .where('reply_done_at', 'is', null)
    .where(
      'created_at',
      '>=',
      sql<Date>`now() - ${Math.max(0, Math.ceil(options.withinMs))} * interval '1 millisecond'`,
    )
    .where(sql<boolean>`reply_to->>'surface' = ${surface}`)
    .where(sql<boolean>`reply_to ? 'message'`)
    .where(messageLease.free)
    .orderBy('created_at', 'desc')
    .limit(options.limit)
    .execute();
  const claimed: OperationRow[] = [];
  for (const { id } of candidates) {
    const claim = messageLease.claim(owner, leaseMs);
    const row = await db
      .updateTable(messageLease.table)
      .set(claim.set)
      .where(claim.where)
      .where('id', '=', id)
      .where('reply_done_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row) claimed.push(row);
  }
  return claimed;
}
