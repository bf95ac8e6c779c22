import type { Kysely } from 'kysely';
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
    .where('state', '!=', 'complete')
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
  totals: { files: number; bytes: number; uploadedBytes: number },
): Promise<void> {
  await db
    .updateTable('snapshots')
    .set({
      state: 'complete',
      files: totals.files,
      bytes: totals.bytes,
      uploaded_bytes: totals.uploadedBytes,
      completed_at: new Date(),
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

/** The channel's snapshots, newest first; of one instance when given. */
export async function listSnapshots(
  db: Kysely<Database>,
  filter: { channel: string; instanceId?: number | undefined; limit?: number },
): Promise<SnapshotRow[]> {
  let query = db.selectFrom('snapshots').selectAll().where('channel', '=', filter.channel);
  if (filter.instanceId !== undefined) query = query.where('instance_id', '=', filter.instanceId);
  return query
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
    .execute();
}
