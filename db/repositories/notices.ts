import { type Insertable, type Kysely, sql } from 'kysely';
import { defineLease } from '../lease.ts';
import type { Database, InstanceRow, NoticeAction, NoticeRow, NoticesTable } from '../schema.ts';

/**
 * Notices: what a channel must be told that no request of its asked about (an instance whose
 * machine vanished, an orphaned rental destroyed). Written by workers, shown by whichever bot
 * process serves the channel: at least once, and never twice unless a process dies between the
 * platform taking a post and its marking (src/bots/notice-feed.ts).
 */

export async function addNotice(
  db: Kysely<Database>,
  notice: Omit<
    Insertable<NoticesTable>,
    | 'id'
    | 'created_at'
    | 'delivered_at'
    | 'claimed_by'
    | 'claimed_until'
    | 'attempts'
    | 'last_error'
    | 'posted_message'
  >,
): Promise<NoticeRow> {
  return db.insertInto('notices').values(notice).returningAll().executeTakeFirstOrThrow();
}

/**
 * A notice about an instance for the channel that owns it, in the thread it was deployed from
 * (where its deploy's progress was posted).
 */
export async function addInstanceNotice(
  db: Kysely<Database>,
  instance: Pick<InstanceRow, 'id' | 'channel' | 'operation_id'>,
  text: string,
  actions: readonly NoticeAction[] = [],
): Promise<NoticeRow> {
  const deploy = await db
    .selectFrom('operations')
    .select('reply_to')
    .where('id', '=', instance.operation_id)
    .executeTakeFirst();
  return addNotice(db, {
    channel: instance.channel,
    reply_to: deploy ? JSON.stringify(deploy.reply_to) : null,
    instance_id: instance.id,
    text,
    actions: actions.length > 0 ? JSON.stringify(actions) : null,
  });
}

export async function getNotice(db: Kysely<Database>, id: number): Promise<NoticeRow | undefined> {
  return db.selectFrom('notices').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Marks the notice acted on by `actor`; undefined when someone acted on it first (a double click,
 * two people at once, another bot process), so its action runs once.
 */
export async function claimNoticeAction(
  db: Kysely<Database>,
  id: number,
  actor: string,
): Promise<NoticeRow | undefined> {
  return db
    .updateTable('notices')
    .set({ acted_at: new Date(), acted_by: actor })
    .where('id', '=', id)
    .where('acted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** A bot process's claim on a notice while it posts it (db/lease.ts). */
const noticeLease = defineLease('notices', { holder: 'claimed_by', until: 'claimed_until' });

/** Which undelivered notices a bot process takes: some channels (a terminal), or a platform's. */
export type NoticeScope = { channels: readonly string[] } | { platform: string };

/**
 * Claims the scope's undelivered notices that nobody holds, oldest first, for `owner` until
 * `leaseMs` from now (the database's clock, shared by every process). One statement, so two bot
 * processes never hold one notice at once; a claim whose holder died is taken again once it runs
 * out. Notices tried `maxAttempts` times are left (with their last error) rather than retried forever.
 */
export async function claimNotices(
  db: Kysely<Database>,
  scope: NoticeScope,
  owner: string,
  leaseMs: number,
  maxAttempts: number,
): Promise<NoticeRow[]> {
  if ('channels' in scope && scope.channels.length === 0) return [];
  const claimed = noticeLease.claim(owner, leaseMs);
  const rows = await db
    .updateTable(noticeLease.table)
    .set((eb) => ({ ...claimed.set, attempts: eb('attempts', '+', 1) }))
    .where(claimed.where)
    .where('delivered_at', 'is', null)
    .where('attempts', '<', maxAttempts)
    .where((eb) =>
      'channels' in scope
        ? eb('channel', 'in', [...scope.channels])
        : eb('channel', 'like', `${scope.platform.replace(/[\\%_]/g, '\\$&')}:%`),
    )
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Extends `owner`'s claim on a notice it is still posting; false once the claim is not its own
 * (another process took it after it ran out) or the notice was delivered.
 */
export async function renewNoticeClaim(
  db: Kysely<Database>,
  id: number,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const renew = noticeLease.renew(owner, leaseMs);
  const renewed = await db
    .updateTable(noticeLease.table)
    .set(renew.set)
    .where(renew.where)
    .where('id', '=', id)
    .where('delivered_at', 'is', null)
    .executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

/**
 * Records that the platform took the notice's post (as message `posted`). Done after the post,
 * never before: a process that dies in between leaves the notice to be posted again.
 */
export async function markNoticeDelivered(
  db: Kysely<Database>,
  id: number,
  posted: string | undefined,
): Promise<void> {
  await db
    .updateTable('notices')
    .set({ delivered_at: sql<Date>`now()`, posted_message: posted ?? null, last_error: null })
    .where('id', '=', id)
    .where('delivered_at', 'is', null)
    .execute();
}

/** Lets `owner`'s claim go after a failed post: the notice is tried again `retryInMs` from now. */
export async function releaseNotice(
  db: Kysely<Database>,
  id: number,
  owner: string,
  retryInMs: number,
  error: string,
): Promise<void> {
  const release = noticeLease.release(owner, retryInMs);
  await db
    .updateTable(noticeLease.table)
    .set({ ...release.set, last_error: error.slice(0, 500) })
    .where(release.where)
    .where('id', '=', id)
    .where('delivered_at', 'is', null)
    .execute();
}

/** Every notice for a channel, newest first (tests and admin views). */
export async function listNotices(db: Kysely<Database>, channel: string, limit = 50): Promise<NoticeRow[]> {
  return db
    .selectFrom('notices')
    .selectAll()
    .where('channel', '=', channel)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
