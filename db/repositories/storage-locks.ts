import { type Kysely, sql } from 'kysely';
import { defineLease } from '../lease.ts';
import type { Database } from '../schema.ts';

/**
 * Leases on the snapshot storage, as restic locks its repository: snapshots and restores hold
 * shared leases, the clean-up that deletes content holds an exclusive one, and each holder renews
 * its lease while it works. A lease not renewed in time (its process died) runs out and is removed
 * by the next acquisition. Each lease is a row of its own, held by its id (db/lease.ts). Acquisitions
 * are serialised by a transaction-scoped advisory lock, kept to a few statements: the embedded
 * database runs one transaction at a time for every connection.
 */

const lease = defineLease('storage_locks', { holder: 'id', until: 'expires_at' });

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
    // Leases nobody holds any more (their holders stopped renewing them) stand in no one's way.
    await trx.deleteFrom(lease.table).where(lease.free).execute();
    let others = trx.selectFrom('storage_locks').select(['holder', 'mode']).where('id', '!=', lock.id);
    if (lock.mode === 'shared') others = others.where('mode', '=', 'exclusive');
    const blocking = await others.execute();
    if (blocking.length > 0) {
      return { acquired: false, blockers: blocking.map((b) => `${b.holder} (${b.mode})`) };
    }
    const claim = lease.claim(lock.id, lock.leaseMs);
    await trx
      .insertInto(lease.table)
      .values({ mode: lock.mode, holder: lock.holder, ...claim.set })
      .onConflict((oc) => oc.column('id').doUpdateSet({ mode: lock.mode, ...claim.set }))
      .execute();
    return { acquired: true, blockers: [] };
  });
}

/**
 * Extends a lease. False when it is gone: it ran out and another acquisition removed it, after
 * which an incompatible lease may have been granted, so what it protected can no longer be trusted.
 * While the row is there, no incompatible lease has been granted since it was taken.
 */
export async function renewStorageLock(db: Kysely<Database>, id: string, leaseMs: number): Promise<boolean> {
  const renew = lease.renew(id, leaseMs);
  const row = await db
    .updateTable(lease.table)
    .set(renew.set)
    .where(renew.where)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Lets a lease go: its row is removed. */
export async function releaseStorageLock(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom(lease.table).where(lease.release(id).where).execute();
}
