import type { Kysely } from 'kysely';
import type { ReplyTarget } from '../../src/domain/request-context.ts';
import type { Database, SnapshotPolicyRow } from '../schema.ts';

/**
 * Snapshot policies, one row per instance: how many complete snapshots to keep and how often to
 * take one. Due times of a schedule are its anchor plus whole intervals; `last_due_at` records the
 * last one a snapshot was queued for, and is only ever moved forward by a compare-and-set, so two
 * workers never queue two snapshots for one due time.
 */

interface PolicyOwner {
  instanceId: number;
  channel: string;
  requester: string;
  replyTo: ReplyTarget;
}

async function upsertPolicy(
  db: Kysely<Database>,
  owner: PolicyOwner,
  patch: Partial<Pick<SnapshotPolicyRow, 'keep_last' | 'every_minutes' | 'schedule_anchor' | 'last_due_at'>>,
): Promise<SnapshotPolicyRow> {
  const common = {
    channel: owner.channel,
    requester: owner.requester,
    reply_to: JSON.stringify(owner.replyTo),
    ...patch,
  };
  return db
    .insertInto('snapshot_policies')
    .values({ instance_id: owner.instanceId, ...common })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet({ ...common, updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getSnapshotPolicy(
  db: Kysely<Database>,
  instanceId: number,
): Promise<SnapshotPolicyRow | undefined> {
  return db
    .selectFrom('snapshot_policies')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
}

/** Snapshots the instance every `everyMinutes`, the first one that long after `anchor`. */
export async function setSnapshotSchedule(
  db: Kysely<Database>,
  owner: PolicyOwner,
  everyMinutes: number,
  anchor: Date,
): Promise<SnapshotPolicyRow> {
  return upsertPolicy(db, owner, {
    every_minutes: everyMinutes,
    schedule_anchor: anchor,
    last_due_at: anchor,
  });
}

/** Ends the instance's schedule; returns the interval it had, or undefined when it had none. */
export async function stopSnapshotSchedule(
  db: Kysely<Database>,
  instanceId: number,
): Promise<{ everyMinutes: number } | undefined> {
  const before = await getSnapshotPolicy(db, instanceId);
  if (before?.every_minutes == null) return undefined;
  const stopped = await db
    .updateTable('snapshot_policies')
    .set({ every_minutes: null, schedule_anchor: null, last_due_at: null, updated_at: new Date() })
    .where('instance_id', '=', instanceId)
    .where('every_minutes', 'is not', null)
    .returning('id')
    .executeTakeFirst();
  return stopped ? { everyMinutes: before.every_minutes } : undefined;
}

/** Keeps the instance's last `keepLast` complete snapshots (0: all; null: the deployment's default). */
export async function setSnapshotKeep(
  db: Kysely<Database>,
  owner: PolicyOwner,
  keepLast: number | null,
): Promise<SnapshotPolicyRow> {
  return upsertPolicy(db, owner, { keep_last: keepLast });
}

/** Every instance with a schedule. */
export async function listSnapshotSchedules(db: Kysely<Database>): Promise<SnapshotPolicyRow[]> {
  return db
    .selectFrom('snapshot_policies')
    .selectAll()
    .where('every_minutes', 'is not', null)
    .orderBy('id')
    .execute();
}

/**
 * Claims the due time `due` of the schedule as `policy` read it: true for exactly one caller, and
 * only while the schedule is unchanged and nothing was queued for `due` or a later due time yet.
 */
export async function claimDueTime(
  db: Kysely<Database>,
  policy: Pick<SnapshotPolicyRow, 'id' | 'schedule_anchor' | 'every_minutes'>,
  due: Date,
): Promise<boolean> {
  if (policy.schedule_anchor === null || policy.every_minutes === null) return false;
  const row = await db
    .updateTable('snapshot_policies')
    .set({ last_due_at: due })
    .where('id', '=', policy.id)
    .where('schedule_anchor', '=', policy.schedule_anchor)
    .where('every_minutes', '=', policy.every_minutes)
    .where('last_due_at', '<', due)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a claimed due time back (nothing could be queued for it), unless the schedule moved on. */
export async function releaseDueTime(
  db: Kysely<Database>,
  policyId: number,
  due: Date,
  previous: Date,
): Promise<void> {
  await db
    .updateTable('snapshot_policies')
    .set({ last_due_at: previous })
    .where('id', '=', policyId)
    .where('last_due_at', '=', due)
    .execute();
}

/** Remembers (`operationId`) or forgets (null, only if it is still `expected`) the last scheduled snapshot. */
export async function setScheduledOperation(
  db: Kysely<Database>,
  policyId: number,
  operationId: string | null,
  expected?: string,
): Promise<boolean> {
  let query = db
    .updateTable('snapshot_policies')
    .set({ last_operation_id: operationId })
    .where('id', '=', policyId);
  if (expected !== undefined) query = query.where('last_operation_id', '=', expected);
  const row = await query.returning('id').executeTakeFirst();
  return row !== undefined;
}

export async function deleteSnapshotPolicy(db: Kysely<Database>, instanceId: number): Promise<void> {
  await db.deleteFrom('snapshot_policies').where('instance_id', '=', instanceId).execute();
}
