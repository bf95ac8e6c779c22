import { type Insertable, type Kysely, sql, type Updateable } from 'kysely';
import type {
  Database,
  IdlePoliciesTable,
  IdlePolicyRow,
  IdleWatchRow,
  IdleWatchTable,
  InstanceRow,
} from '../schema.ts';

/**
 * Auto-pause policies (per instance, and a default per channel) and the idle check's running
 * state per instance (`idle_watch`). Writes that decide something (warn, pause) are conditional
 * updates, so two passes of the idle check running at once never both act on one idle episode.
 */

export interface PolicyValues {
  channel: string;
  idleMinutes: number;
  minUtilization: number;
  by: string;
}

/** Sets (or replaces) the instance's own policy. */
export async function setInstancePolicy(
  db: Kysely<Database>,
  instanceId: number,
  values: PolicyValues,
): Promise<IdlePolicyRow> {
  return upsertPolicy(db, {
    channel: values.channel,
    instance_id: instanceId,
    enabled: true,
    idle_minutes: values.idleMinutes,
    min_utilization: values.minUtilization,
    created_by: values.by,
  });
}

/** Sets (or replaces) the channel's default for instances without a policy of their own. */
export async function setChannelDefault(db: Kysely<Database>, values: PolicyValues): Promise<IdlePolicyRow> {
  return upsertPolicy(db, {
    channel: values.channel,
    instance_id: null,
    enabled: true,
    idle_minutes: values.idleMinutes,
    min_utilization: values.minUtilization,
    created_by: values.by,
  });
}

/** The instance is never auto-paused, whatever its channel's default says. */
export async function optOutInstance(
  db: Kysely<Database>,
  instanceId: number,
  values: Pick<PolicyValues, 'channel' | 'by' | 'minUtilization'>,
): Promise<IdlePolicyRow> {
  return upsertPolicy(db, {
    channel: values.channel,
    instance_id: instanceId,
    enabled: false,
    idle_minutes: null,
    min_utilization: values.minUtilization,
    created_by: values.by,
  });
}

/** One policy per instance, and one default per channel (the row without an instance). */
async function upsertPolicy(
  db: Kysely<Database>,
  row: Insertable<IdlePoliciesTable> & { instance_id: number | null },
): Promise<IdlePolicyRow> {
  return db
    .insertInto('idle_policies')
    .values(row)
    .onConflict((oc) =>
      row.instance_id === null
        ? oc
            .column('channel')
            .where('instance_id', 'is', null)
            .doUpdateSet({ ...row, updated_at: new Date() })
        : oc
            .column('instance_id')
            .where('instance_id', 'is not', null)
            .doUpdateSet({ ...row, updated_at: new Date() }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function removeInstancePolicy(db: Kysely<Database>, instanceId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('idle_policies')
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function removeChannelDefault(db: Kysely<Database>, channel: string): Promise<boolean> {
  const result = await db
    .deleteFrom('idle_policies')
    .where('channel', '=', channel)
    .where('instance_id', 'is', null)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function getInstancePolicy(
  db: Kysely<Database>,
  instanceId: number,
): Promise<IdlePolicyRow | undefined> {
  return db.selectFrom('idle_policies').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
}

export async function getChannelDefault(
  db: Kysely<Database>,
  channel: string,
): Promise<IdlePolicyRow | undefined> {
  return db
    .selectFrom('idle_policies')
    .selectAll()
    .where('channel', '=', channel)
    .where('instance_id', 'is', null)
    .executeTakeFirst();
}

/** The policy that applies to an instance, and where it comes from. */
export interface EffectivePolicy {
  source: 'instance' | 'channel';
  idleMinutes: number;
  minUtilization: number;
}

/** The instance's own policy if it has one (a disabled one: none), else its channel's default. */
export function effectivePolicy(
  own: IdlePolicyRow | undefined,
  channelDefault: IdlePolicyRow | undefined,
): EffectivePolicy | undefined {
  const pick = own ?? channelDefault;
  if (!pick?.enabled || pick.idle_minutes === null) return undefined;
  return {
    source: own ? 'instance' : 'channel',
    idleMinutes: pick.idle_minutes,
    minUtilization: pick.min_utilization,
  };
}

export interface WatchedInstance {
  instance: InstanceRow;
  policy: EffectivePolicy;
}

/** Running instances that a policy (their own or their channel's) asks to be auto-paused when idle. */
export async function listWatchedInstances(db: Kysely<Database>): Promise<WatchedInstance[]> {
  const policies = await db.selectFrom('idle_policies').selectAll().execute();
  if (policies.length === 0) return [];
  const own = new Map(policies.filter((p) => p.instance_id !== null).map((p) => [p.instance_id!, p]));
  const defaults = new Map(policies.filter((p) => p.instance_id === null).map((p) => [p.channel, p]));
  const instances = await db
    .selectFrom('instances')
    .selectAll()
    .where('state', '=', 'running')
    .where((eb) =>
      eb.or([
        eb('id', 'in', own.size > 0 ? [...own.keys()] : [-1]),
        eb('channel', 'in', defaults.size > 0 ? [...defaults.keys()] : ['']),
      ]),
    )
    .orderBy('id')
    .execute();
  const watched: WatchedInstance[] = [];
  for (const instance of instances) {
    const policy = effectivePolicy(own.get(instance.id), defaults.get(instance.channel));
    if (policy) watched.push({ instance, policy });
  }
  return watched;
}

export async function getWatch(db: Kysely<Database>, instanceId: number): Promise<IdleWatchRow | undefined> {
  return db.selectFrom('idle_watch').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
}

type WatchPatch = Omit<Updateable<IdleWatchTable>, 'instance_id' | 'updated_at'>;

/** Writes the given columns of the instance's watch row, making the row when it has none. */
export async function saveWatch(
  db: Kysely<Database>,
  instanceId: number,
  patch: WatchPatch,
): Promise<IdleWatchRow> {
  const values = { ...patch, updated_at: new Date() };
  return db
    .insertInto('idle_watch')
    .values({ instance_id: instanceId, ...values })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The columns of an idle episode, cleared: the next idle sample starts a new one. */
export const NO_EPISODE = {
  idle_since: null,
  warned_at: null,
  pause_due_at: null,
  pause_operation_id: null,
  pause_requested_at: null,
} as const satisfies WatchPatch;

/**
 * Records the warning of the episode that began at `idleSince`, once: undefined when it was
 * given already, or the episode has ended meanwhile.
 */
export async function claimWarning(
  db: Kysely<Database>,
  instanceId: number,
  idleSince: Date,
  at: Date,
  pauseDueAt: Date,
): Promise<IdleWatchRow | undefined> {
  return db
    .updateTable('idle_watch')
    .set({ warned_at: at, pause_due_at: pauseDueAt, updated_at: new Date() })
    .where('instance_id', '=', instanceId)
    .where('idle_since', '=', idleSince)
    .where('warned_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Names the pause operation of the episode that began at `idleSince`, once: undefined when one
 * was named already, or the episode has ended (the GPUs got busy, someone said "keep it running").
 */
export async function claimPause(
  db: Kysely<Database>,
  instanceId: number,
  idleSince: Date,
  operationId: string,
  at: Date,
): Promise<IdleWatchRow | undefined> {
  return db
    .updateTable('idle_watch')
    .set({ pause_operation_id: operationId, pause_requested_at: at, updated_at: new Date() })
    .where('instance_id', '=', instanceId)
    .where('idle_since', '=', idleSince)
    .where('pause_operation_id', 'is', null)
    .where((eb) => eb.or([eb('snoozed_at', 'is', null), eb('snoozed_until', '<=', at)]))
    .returningAll()
    .executeTakeFirst();
}

/** Ends the episode whose pause was `operationId`, once: undefined when that was done already. */
export async function settlePause(
  db: Kysely<Database>,
  instanceId: number,
  operationId: string,
): Promise<IdleWatchRow | undefined> {
  return db
    .updateTable('idle_watch')
    .set({ ...NO_EPISODE, last_sample_at: null, updated_at: new Date() })
    .where('instance_id', '=', instanceId)
    .where('pause_operation_id', '=', operationId)
    .returningAll()
    .executeTakeFirst();
}

/** Watch rows with a pause requested whose outcome has not been recorded yet. */
export async function listRequestedPauses(db: Kysely<Database>): Promise<IdleWatchRow[]> {
  return db
    .selectFrom('idle_watch')
    .selectAll()
    .where('pause_operation_id', 'is not', null)
    .orderBy('instance_id')
    .execute();
}

/**
 * "keep i-3 running": no auto-pause until `until` (null: until someone says otherwise). Ends the
 * current idle episode, warning included; a pause already requested is left to run.
 */
export async function snoozeInstance(
  db: Kysely<Database>,
  instanceId: number,
  until: Date | null,
  by: string,
): Promise<IdleWatchRow> {
  const current = await getWatch(db, instanceId);
  const episode = current?.pause_operation_id
    ? {}
    : { idle_since: null, warned_at: null, pause_due_at: null };
  return saveWatch(db, instanceId, {
    ...episode,
    snoozed_at: new Date(),
    snoozed_until: until,
    snoozed_by: by,
  });
}

/** Ends any snooze and any idle episode: the instance is watched afresh. */
export async function restartWatch(db: Kysely<Database>, instanceId: number): Promise<void> {
  await db
    .updateTable('idle_watch')
    .set({
      idle_since: null,
      warned_at: null,
      pause_due_at: null,
      last_sample_at: null,
      snoozed_at: null,
      snoozed_until: null,
      snoozed_by: null,
      updated_at: new Date(),
    })
    .where('instance_id', '=', instanceId)
    .where('pause_operation_id', 'is', null)
    .execute();
}

/** True while "keep it running" holds at `now`. */
export function isSnoozed(
  watch: Pick<IdleWatchRow, 'snoozed_at' | 'snoozed_until'> | undefined,
  now: Date,
): boolean {
  if (!watch?.snoozed_at) return false;
  return watch.snoozed_until === null || watch.snoozed_until.getTime() > now.getTime();
}

/** Forgets watch rows of instances that are gone for good. */
export async function pruneWatch(db: Kysely<Database>): Promise<void> {
  await db
    .deleteFrom('idle_watch')
    .where('pause_operation_id', 'is', null)
    .where(({ exists, selectFrom, not }) =>
      not(
        exists(
          selectFrom('instances')
            .select(sql`1`.as('one'))
            .whereRef('instances.id', '=', 'idle_watch.instance_id')
            .where('instances.state', '!=', 'destroyed'),
        ),
      ),
    )
    .execute();
}
