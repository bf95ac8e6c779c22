import type { Kysely, Updateable } from 'kysely';
import { defineLease } from '../lease.ts';
import type { Database, StandbyRow, StandbyState, StandbysTable } from '../schema.ts';

/** CPU standbys: one row per instance that has (or had) one; the VM at GCP is the truth. */

export async function getStandby(db: Kysely<Database>, instanceId: number): Promise<StandbyRow | undefined> {
  return db.selectFrom('standbys').selectAll().where('instance_id', '=', instanceId).executeTakeFirst();
}

/** Standbys in these states, oldest first. */
export async function listStandbys(
  db: Kysely<Database>,
  states: readonly StandbyState[],
): Promise<StandbyRow[]> {
  if (states.length === 0) return [];
  return db.selectFrom('standbys').selectAll().where('state', 'in', states).orderBy('id').execute();
}

/**
 * Records that an operation is making the instance's standby: a new row, or the old one (off,
 * failed) taken over, in state `creating`. Safe to repeat for the same operation.
 */
export async function beginStandby(
  db: Kysely<Database>,
  values: {
    instanceId: number;
    channel: string;
    requester: string;
    operationId: string;
    vmName: string;
    zone: string;
    machineType: string;
    spot: boolean;
    hourlyCost: number | null;
  },
): Promise<StandbyRow> {
  const columns = {
    channel: values.channel,
    requester: values.requester,
    operation_id: values.operationId,
    vm_name: values.vmName,
    zone: values.zone,
    machine_type: values.machineType,
    spot: values.spot,
    state: 'creating' as const,
    hourly_cost: values.hourlyCost,
    nat_ip: null,
    synced_snapshot_id: null,
    synced_at: null,
    error: null,
    updated_at: new Date(),
  };
  return db
    .insertInto('standbys')
    .values({ instance_id: values.instanceId, ...columns })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet(columns))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export type StandbyPatch = Omit<Updateable<StandbysTable>, 'id' | 'instance_id' | 'created_at'>;

/**
 * Changes the instance's standby, only while it is in one of `onlyIn` when given (a sync must not
 * overwrite a standby that was turned off meanwhile). Returns the row as it now is, or undefined.
 */
export async function updateStandby(
  db: Kysely<Database>,
  instanceId: number,
  patch: StandbyPatch,
  onlyIn?: readonly StandbyState[],
): Promise<StandbyRow | undefined> {
  let query = db
    .updateTable('standbys')
    .set({ ...patch, updated_at: new Date() })
    .where('instance_id', '=', instanceId);
  if (onlyIn) query = query.where('state', 'in', onlyIn);
  return query.returningAll().executeTakeFirst();
}

/** A sync's hold on a standby: one sync at a time per standby (db/lease.ts). */
const syncLease = defineLease('standbys', { holder: 'sync_holder', until: 'sync_lease_until' });

/** The states a standby can be synced in. */
const SYNCABLE: readonly StandbyState[] = ['ready', 'stopped'];

/**
 * Takes the standby for one sync by `holder`, for `leaseMs`, if it is ready or stopped and no other
 * sync holds it; undefined otherwise. The holder renews the lease while it works, so a worker that
 * dies mid-sync lets go when its lease runs out.
 */
export async function claimStandbySync(
  db: Kysely<Database>,
  instanceId: number,
  holder: string,
  leaseMs: number,
): Promise<StandbyRow | undefined> {
  const claim = syncLease.claim(holder, leaseMs);
  return db
    .updateTable(syncLease.table)
    .set(claim.set)
    .where(claim.where)
    .where('instance_id', '=', instanceId)
    .where('state', 'in', SYNCABLE)
    .returningAll()
    .executeTakeFirst();
}

/** Extends the holder's lease; false when it is no longer theirs (another sync took it, or the standby was turned off). */
export async function renewStandbySync(
  db: Kysely<Database>,
  instanceId: number,
  holder: string,
  leaseMs: number,
): Promise<boolean> {
  const renew = syncLease.renew(holder, leaseMs);
  const renewed = await db
    .updateTable(syncLease.table)
    .set(renew.set)
    .where(renew.where)
    .where('instance_id', '=', instanceId)
    .where('state', 'in', SYNCABLE)
    .executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

export async function releaseStandbySync(
  db: Kysely<Database>,
  instanceId: number,
  holder: string,
): Promise<void> {
  const release = syncLease.release(holder);
  await db
    .updateTable(syncLease.table)
    .set(release.set)
    .where(release.where)
    .where('instance_id', '=', instanceId)
    .execute();
}
