import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { SnapshotContents } from '../../src/domain/snapshot-contents.ts';
import type { Database, SnapshotRow } from '../schema.ts';

/** Snapshots: one row per snapshot job, keyed by its operation so a retried job reuses its row. */

export async function startSnapshotRow(
  db: Kysely<Database>,
  values: {
    operationId: string;
    instanceId: number;
    name: string | null;
    channel: string;
    requester: string;
  },
): Promise<SnapshotRow> {
  await db
    .insertInto('snapshots')
    .values({
      operation_id: values.operationId,
      instance_id: values.instanceId,
      name: values.name,
      channel: values.channel,
      requester: values.requester,
    })
    .onConflict((oc) => oc.column('operation_id').doNothing())
    .execute();
  return db
    .updateTable('snapshots')
    .set({ state: 'in_progress', error: null })
    .where('operation_id', '=', values.operationId)
    .where('state', 'not in', ['complete', 'deleted'])
    .returningAll()
    .executeTakeFirst()
    .then(
      async (row) =>
        row ??
        db
          .selectFrom('snapshots')
          .selectAll()
          .where('operation_id', '=', values.operationId)
          .executeTakeFirstOrThrow(),
    );
}

export async function completeSnapshot(
  db: Kysely<Database>,
  id: number,
  totals: { files: number; bytes: number; uploadedBytes: number; contents?: SnapshotContents },
): Promise<void> {
  await db
    .updateTable('snapshots')
    .set({
      state: 'complete',
      files: totals.files,
      bytes: totals.bytes,
      uploaded_bytes: totals.uploadedBytes,
      completed_at: new Date(),
      ...(totals.contents && { contents: JSON.stringify(totals.contents) }),
    })
    .where('id', '=', id)
    .execute();
}

export async function failSnapshot(
  db: Kysely<Database>,
  id: number,
  error: { code: string; message: string },
) {
  await db
    .updateTable('snapshots')
    .set({ state: 'failed', error: JSON.stringify(error) })
    .where('id', '=', id)
    .where('state', '!=', 'complete')
    .execute();
}

export async function getSnapshot(db: Kysely<Database>, id: number): Promise<SnapshotRow | undefined> {
  return db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The instance's newest complete snapshot: the base a new one only adds changes to. */
export async function latestCompleteSnapshot(
  db: Kysely<Database>,
  instanceId: number,
  except: number,
): Promise<SnapshotRow | undefined> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('state', '=', 'complete')
    .where('id', '!=', except)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The channel's snapshots, newest first; of one instance when given. Deleted ones are not listed. */
export async function listSnapshots(
  db: Kysely<Database>,
  filter: { channel: string; instanceId?: number | undefined; limit?: number },
): Promise<SnapshotRow[]> {
  let query = db
    .selectFrom('snapshots')
    .selectAll()
    .where('channel', '=', filter.channel)
    .where('state', '!=', 'deleted');
  if (filter.instanceId !== undefined) query = query.where('instance_id', '=', filter.instanceId);
  return query
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
    .execute();
}

/**
 * Deletes a snapshot for people at once: no longer listed, restorable or used as a base. Only a
 * finished one (complete or failed) can be; its storage is freed later by the clean-up, under the
 * storage's exclusive lease. Returns the row, or undefined when it was not in a deletable state.
 */
export async function markSnapshotDeleted(
  db: Kysely<Database>,
  id: number,
): Promise<SnapshotRow | undefined> {
  return db
    .updateTable('snapshots')
    .set({ state: 'deleted', deleted_at: new Date() })
    .where('id', '=', id)
    .where('state', 'in', ['complete', 'failed'])
    .returningAll()
    .executeTakeFirst();
}

/** Deleted snapshots whose manifest (and content only they used) the clean-up has not removed yet. */
export async function snapshotsAwaitingPurge(db: Kysely<Database>): Promise<SnapshotRow[]> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('state', '=', 'deleted')
    .where('purged_at', 'is', null)
    .orderBy('id')
    .execute();
}

export async function markSnapshotsPurged(db: Kysely<Database>, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('snapshots')
    .set({ purged_at: new Date() })
    .where('id', 'in', ids)
    .where('state', '=', 'deleted')
    .execute();
}

/**
 * Every snapshot whose content must stay: complete ones, and those still being taken (a manifest
 * may be stored already). Of every instance: content is shared between all of them.
 */
export async function liveSnapshots(db: Kysely<Database>): Promise<Array<Pick<SnapshotRow, 'id' | 'state'>>> {
  return db
    .selectFrom('snapshots')
    .select(['id', 'state'])
    .where('state', 'in', ['complete', 'in_progress'])
    .orderBy('id')
    .execute();
}

/** The instance's complete snapshots, newest first. */
export async function completeSnapshotsOf(db: Kysely<Database>, instanceId: number): Promise<SnapshotRow[]> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('state', '=', 'complete')
    .orderBy('id', 'desc')
    .execute();
}

/** Snapshots (as `snap-<id>`) that a queued or running restore is about to read or reading. */
export async function snapshotsBeingRestored(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db
    .selectFrom('operations')
    .select(sql<string | null>`args->>'snapshot'`.as('snapshot'))
    .where('kind', '=', 'restore')
    .where('state', 'in', ['queued', 'running'])
    .execute();
  return new Set(rows.flatMap((r) => (r.snapshot ? [r.snapshot] : [])));
}

/** The snapshot an operation took (a snapshot, failover or hibernation), if it has begun one. */
export async function snapshotOfOperation(
  db: Kysely<Database>,
  operationId: string,
): Promise<SnapshotRow | undefined> {
  return db.selectFrom('snapshots').selectAll().where('operation_id', '=', operationId).executeTakeFirst();
}
