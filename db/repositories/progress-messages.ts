import { type Kysely, sql } from 'kysely';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
import type { Database, OperationRow } from '../schema.ts';

/**
 * Which bot process keeps each operation's progress message current. A process holds a lease
 * while it follows an operation and renews it; when the process dies the lease lapses and another
 * (or the restarted one) takes the message over, so every message reaches its final state.
 */

/** Records where the progress message is and that `owner` keeps it current until `until`. */
export async function recordProgressMessage(
  db: Kysely<Database>,
  operationId: string,
  replyTo: ReplyTarget,
  owner: string,
  until: Date,
): Promise<void> {
  await db
    .updateTable('operations')
    .set({ reply_to: JSON.stringify(replyTo), reply_owner: owner, reply_lease_until: until })
    .where('id', '=', operationId)
    .execute();
}

/** Extends `owner`'s leases on these operations; those another process took over are left alone. */
export async function renewProgressLeases(
  db: Kysely<Database>,
  operationIds: readonly string[],
  owner: string,
  until: Date,
): Promise<void> {
  if (operationIds.length === 0) return;
  await db
    .updateTable('operations')
    .set({ reply_lease_until: until })
    .where('id', 'in', operationIds)
    .where('reply_owner', '=', owner)
    .where('reply_done_at', 'is', null)
    .execute();
}

/** The final state was shown (or there is no message to show it in): nothing more is owed. */
export async function markProgressShown(db: Kysely<Database>, operationId: string): Promise<void> {
  await db
    .updateTable('operations')
    .set({ reply_done_at: new Date(), reply_lease_until: null })
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
  await db
    .updateTable('operations')
    .set({ reply_lease_until: null })
    .where('id', '=', operationId)
    .where('reply_owner', '=', owner)
    .execute();
}

/**
 * Claims progress messages on `surface` that are still owed a final state and that nobody holds
 * (never leased, or the lease lapsed), newest first. A claim is atomic: two processes never both
 * get one message.
 */
export async function claimOrphanedProgress(
  db: Kysely<Database>,
  surface: string,
  owner: string,
  until: Date,
  options: { limit: number; notBefore: Date },
): Promise<OperationRow[]> {
  const candidates = await db
    .selectFrom('operations')
    .select('id')
    .where('reply_done_at', 'is', null)
    .where('created_at', '>=', options.notBefore)
    .where(sql<boolean>`reply_to->>'surface' = ${surface}`)
    .where(sql<boolean>`reply_to ? 'message'`)
    .where((eb) => eb.or([eb('reply_lease_until', 'is', null), eb('reply_lease_until', '<', new Date())]))
    .orderBy('created_at', 'desc')
    .limit(options.limit)
    .execute();
  const claimed: OperationRow[] = [];
  for (const { id } of candidates) {
    const row = await db
      .updateTable('operations')
      .set({ reply_owner: owner, reply_lease_until: until })
      .where('id', '=', id)
      .where('reply_done_at', 'is', null)
      .where((eb) => eb.or([eb('reply_lease_until', 'is', null), eb('reply_lease_until', '<', new Date())]))
      .returningAll()
      .executeTakeFirst();
    if (row) claimed.push(row);
  }
  return claimed;
}
