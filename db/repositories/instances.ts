import type { ExpressionBuilder, Kysely } from 'kysely';
import type { ProviderInstance } from '../../src/cloud/provider.ts';
import { instanceRef } from '../../src/domain/instance-ref.ts';
import type { InstanceState } from '../../src/domain/instance-states.ts';
import {
  agreesWithProvider,
  MOVING_STATES,
  type ProviderView,
  settledState,
} from '../../src/domain/instance-states.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import type { Database, InstanceRow, InstanceUpdate, NewInstance } from '../schema.ts';
import { recordAudit } from './audit.ts';

type SelectFrom = ExpressionBuilder<Database, 'instances'>['selectFrom'];

/**
 * Instances gpuops rents, one row per rental. Every function takes the Kysely instance or a
 * transaction (`Transaction` extends `Kysely`), so callers choose the unit of work.
 */

export async function insertInstance(db: Kysely<Database>, values: NewInstance): Promise<InstanceRow> {
  return db.insertInto('instances').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Inserts the instance a deploy is about to rent and names it on the operation's row in one
 * transaction, so no other operation can be started on the instance before the deploy owns it.
 */
export async function insertInstanceForOperation(
  db: Kysely<Database>,
  values: NewInstance & { operation_id: string },
): Promise<InstanceRow> {
  return db.transaction().execute(async (tx) => {
    const row = await insertInstance(tx, values);
    await tx
      .updateTable('operations')
      .set({ instance_id: row.id })
      .where('id', '=', values.operation_id)
      .execute();
    return row;
  });
}

/**
 * Removes the record of a rental that never happened (no provider id): nothing exists to show.
 * Refuses, returning false, once the record has a machine.
 */
export async function deleteUnrentedInstance(
  db: Kysely<Database>,
  id: number,
  /** The operation that is ending and removing it (its own deploy), which does not count as busy. */
  endingOperation?: string,
): Promise<boolean> {
  const deleted = await db
    .deleteFrom('instances')
    .where('id', '=', id)
    .where('provider_instance_id', 'is', null)
    // A deploy that is renting it right now owns it.
    .where(({ not, exists, selectFrom }) =>
      not(exists(inFlightOn(selectFrom, id).where('operations.id', '!=', endingOperation ?? ''))),
    )
    .executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

/**
 * As updateInstance, but only while no operation is queued or running on the instance (the
 * reconciler's writes must never race an operation's); undefined when one is.
 */
export async function updateIdleInstance(
  db: Kysely<Database>,
  id: number,
  patch: Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'>,
): Promise<InstanceRow | undefined> {
  return db
    .updateTable('instances')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .where(({ not, exists, selectFrom }) => not(exists(inFlightOn(selectFrom, id))))
    .returningAll()
    .executeTakeFirst();
}

function inFlightOn(selectFrom: SelectFrom, id: number) {
  return selectFrom('operations')
    .select('operations.id')
    .where('operations.instance_id', '=', id)
    .where('operations.state', 'in', ['queued', 'running']);
}

/** What gpuops just heard from the provider about one machine. */
export interface ProviderLook {
  /** The machine as the provider has it; null when the provider no longer has it. */
  machine: ProviderInstance | null;
  /** When the provider was asked: an operation that ended after this may have moved the machine since. */
  since: Date;
}

export interface SettledInstance {
  /** The record as it now is. */
  row: InstanceRow;
  /** Set when the record's state changed to follow the provider. */
  moved?: { from: InstanceState; to: InstanceState; provider: ProviderView };
  /** False when an operation owns the instance (or the record changed since it was read): nothing was written. */
  written: boolean;
}

export interface SettleOptions {
  /**
   * `moving`: only a state that lasts while an operation moves the instance (stopping, starting, …)
   * is settled; a settled state the provider contradicts is left for the reconciler, which tells
   * the channel. `all`: every state follows the provider (the reconciler).
   */
  scope: 'moving' | 'all';
  /** Where gpuops heard from the provider (audit details): `list_instances`, `reconciler`, … */
  heardFrom: string;
}

/**
 * Makes an instance's record follow what the provider just said of its machine, unless an
 * operation owns the instance: one is queued or running on it, or one ended after the provider
 * was asked (its last move may postdate what was heard). The check and the write are one
 * conditional UPDATE, so an operation that starts meanwhile is never overwritten; a state change
 * is written to the audit log in the same transaction, by gpuops, as the reconciler's are.
 */
export async function settleIdleInstance(
  db: Kysely<Database>,
  row: InstanceRow,
  look: ProviderLook,
  options: SettleOptions,
): Promise<SettledInstance> {
  const view: ProviderView = look.machine?.status ?? 'gone';
  const settles = options.scope === 'all' || MOVING_STATES.includes(row.state);
  const full = settledColumns(row, look.machine);
  const columns: Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'> =
    settles && !(full.state === row.state && agreesWithProvider(row.state, view))
      ? full
      : {
          provider_status: view,
          // Jobs reach a machine where the provider says it is now.
          ...(look.machine?.sshHost && { ssh_host: look.machine.sshHost }),
          ...(look.machine?.sshPort && { ssh_port: look.machine.sshPort }),
        };
  const changes = Object.entries(columns).some(
    ([column, value]) => !sameValue(row[column as keyof InstanceRow], value),
  );
  if (!changes) return { row, written: false };
  return db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable('instances')
      .set({ ...columns, updated_at: new Date() })
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('operations')
              .select('operations.id')
              .where('operations.instance_id', '=', row.id)
              .where(({ or, eb }) =>
                or([
                  eb('operations.state', 'in', ['queued', 'running']),
                  eb('operations.finished_at', '>=', look.since),
                ]),
              ),
          ),
        ),
      )
      .returningAll()
      .executeTakeFirst();
    if (!updated) return { row: (await getInstance(tx, row.id)) ?? row, written: false };
    if (updated.state === row.state) return { row: updated, written: true };
    const moved = { from: row.state, to: updated.state, provider: view };
    await recordAudit(tx, {
      actor: 'gpuops',
      action: 'reconcile',
      target: instanceRef(row.id),
      channel: row.channel,
      outcome: 'ok',
      price_per_hour: row.price_per_hour,
      details: JSON.stringify({ ...moved, heard_from: options.heardFrom }),
    });
    return { row: updated, moved, written: true };
  });
}

function sameValue(current: unknown, next: unknown): boolean {
  if (current instanceof Date && next instanceof Date) return current.getTime() === next.getTime();
  return current === next;
}

export async function getInstance(db: Kysely<Database>, id: number): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findInstanceByLabel(
  db: Kysely<Database>,
  label: string,
): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('label', '=', label).executeTakeFirst();
}

/** The instance an operation rented, if it got that far (a retried deploy asks before renting again). */
export async function findInstanceByOperation(
  db: Kysely<Database>,
  operationId: string,
): Promise<InstanceRow | undefined> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('operation_id', '=', operationId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** Changes the given columns and stamps `updated_at`. Throws when there is no such instance. */
export async function updateInstance(
  db: Kysely<Database>,
  id: number,
  patch: Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'>,
): Promise<InstanceRow> {
  const row = await db
    .updateTable('instances')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) {
    throw new GpuopsError(ErrorCode.InstanceNotFound, `Instance ${instanceRef(id)} is not in the database.`, {
      details: { instanceId: id },
    });
  }
  return row;
}

export interface ListInstancesFilter {
  /** Only this channel's instances; unset: every channel (admin views, the reconciler). */
  channel?: string;
  /** Only these states; unset or empty: all of them. */
  states?: readonly InstanceState[];
  owner?: string;
}

/** Oldest first, so `i-<id>` numbers read in order. */
export async function listInstances(
  db: Kysely<Database>,
  filter: ListInstancesFilter = {},
): Promise<InstanceRow[]> {
  let query = db.selectFrom('instances').selectAll();
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel);
  if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
  if (filter.states !== undefined && filter.states.length > 0)
    query = query.where('state', 'in', filter.states);
  return query.orderBy('id', 'asc').execute();
}

/** The columns that make a record follow the provider's view of its machine. */
export function settledColumns(
  row: InstanceRow,
  live: ProviderInstance | null,
): Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'> {
  const view: ProviderView = live?.status ?? 'gone';
  const state = settledState(view, row.state);
  return {
    state,
    provider_status: view,
    ...(state === 'destroyed' && { destroyed_at: row.destroyed_at ?? new Date(), running_since: null }),
    ...(state === 'running' && {
      running_since: row.running_since ?? new Date(),
      ...(live?.sshHost && { ssh_host: live.sshHost }),
      ...(live?.sshPort && { ssh_port: live.sshPort }),
    }),
    ...((state === 'stopped' || state === 'failed') && { running_since: null }),
    ...(state === 'stopped' && { stopped_at: row.stopped_at ?? new Date() }),
    ...(state !== 'stopped' && row.stopped_at !== null && { stopped_at: null }),
  };
}

/** The columns of an instance whose machine was released after its workspace was snapshotted. */
export function hibernatedColumns(at: Date): Omit<InstanceUpdate, 'id' | 'created_at' | 'updated_at'> {
  return {
    state: 'hibernated',
    provider_instance_id: null,
    provider_status: 'gone',
    ssh_host: null,
    ssh_port: null,
    running_since: null,
    stopped_at: null,
    hibernated_at: at,
  };
}
