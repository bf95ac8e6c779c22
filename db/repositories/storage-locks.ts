import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.ts';

/**
 * Leases on the snapshot storage, as restic locks its repository: snapshots and restores hold
 * shared leases, the clean-up that deletes content holds an exclusive one, and each holder renews
 * its lease while it works. A lease not renewed in time (its process died) expires and is removed
 * by the next acquisition. Acquisitions are serialised by a transaction-scoped advisory lock, kept
 * to a few statements: the embedded database runs one transaction at a time for every connection.
 */

/** The advisory lock that serialises acquisitions (any constant; "gpuops storage" in ASCII). */
const ACQUIRE_LOCK_KEY = 0x6770756f7073;

export type StorageLockMode = 'shared' | 'exclusive';

export interface StorageLockAttempt {
  acquired: boolean;
  /** What stands in the way when not acquired, e.g. "snapshot op-1a2b (shared)". */
  blockers: string[];
}

/**
 * Takes (or extends, for the same id) a lease of `mode` unless an incompatible one is held: a
 * shared lease waits for no exclusive one, an exclusive lease for no other lease at all.
 */
export async function acquireStorageLock(
  db: Kysely<Database>,
  lock: { id: string; mode: StorageLockMode; holder: string; leaseMs: number },
): Promise<StorageLockAttempt> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${ACQUIRE_LOCK_KEY})`.execute(trx);
    await trx.deleteFrom('storage_locks').where('expires_at', '<', sql<Date>`now()`).execute();
    let others = trx.selectFrom('storage_locks').select(['holder', 'mode']).where('id', '!=', lock.id);
    if (lock.mode === 'shared') others = others.where('mode', '=', 'exclusive');
    const blocking = await others.execute();
    if (blocking.length > 0) {
      return { acquired: false, blockers: blocking.map((b) => `${b.holder} (${b.mode})`) };
    }
    const expires = sql<Date>`now() + ${lock.leaseMs} * interval '1 millisecond'`;
    await trx
      .insertInto('storage_locks')
      .values({ id: lock.id, mode: lock.mode, holder: lock.holder, expires_at: expires })
      .onConflict((oc) => oc.column('id').doUpdateSet({ mode: lock.mode, expires_at: expires }))
      .execute();
    return { acquired: true, blockers: [] };
  });
}

/**
 * Extends a lease. False when it is gone: it expired and another acquisition removed it, after
 * which an incompatible lease may have been granted, so what it protected can no longer be trusted.
 * While the row is there, no incompatible lease has been granted since it was taken.
 */
export async function renewStorageLock(db: Kysely<Database>, id: string, leaseMs: number): Promise<boolean> {
  const row = await db
    .updateTable('storage_locks')
    .set({ expires_at: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function releaseStorageLock(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('storage_locks').where('id', '=', id).execute();
}
