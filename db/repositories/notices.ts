import type { Insertable, Kysely } from 'kysely';
import type { Database, InstanceRow, NoticeAction, NoticeRow, NoticesTable } from '../schema.ts';

/**
 * Notices: what a channel must be told that no request of its asked about (an instance whose
 * machine vanished, an orphaned rental destroyed). Written by workers, shown by whichever bot
 * process serves the channel, each once.
 */

export async function addNotice(
  db: Kysely<Database>,
  notice: Omit<Insertable<NoticesTable>, 'id' | 'created_at' | 'delivered_at'>,
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

/**
 * Takes the channels' undelivered notices, oldest first, marking them delivered in the same
 * statement so two bot processes never show one twice.
 */
export async function takeNotices(db: Kysely<Database>, channels: readonly string[]): Promise<NoticeRow[]> {
  if (channels.length === 0) return [];
  const rows = await db
    .updateTable('notices')
    .set({ delivered_at: new Date() })
    .where('delivered_at', 'is', null)
    .where('channel', 'in', channels)
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

/** As takeNotices, for every channel of a chat platform (channels named `<platform>:...`). */
export async function takePlatformNotices(db: Kysely<Database>, platform: string): Promise<NoticeRow[]> {
  const rows = await db
    .updateTable('notices')
    .set({ delivered_at: new Date() })
    .where('delivered_at', 'is', null)
    .where('channel', 'like', `${platform.replace(/[\\%_]/g, '\\$&')}:%`)
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
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
