import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireStorageLock, renewStorageLock } from '../../../db/repositories/storage-locks.ts';
import { StorageLease } from '../../../src/jobs/queue/storage-lease.ts';
import { openTestDatabase, type TestDatabase, type TestDatabaseKind } from '../../support/index.ts';

describe.each<TestDatabaseKind>(['postgres', 'pglite'])('leases on the snapshot storage, on %s', (kind) => {
  let t: TestDatabase;
  const held: StorageLease[] = [];

  beforeEach(async () => {
    t = await openTestDatabase(kind);
  });
  afterEach(async () => {
    for (const lease of held.splice(0)) await lease.release();
    await t.cleanup();
  });

  async function take(mode: 'shared' | 'exclusive', holder: string, leaseMs?: number) {
    const attempt = await StorageLease.tryAcquire(t.handle.db, {
      mode,
      holder,
      ...(leaseMs !== undefined && { leaseMs }),
    });
    if (attempt.lease) held.push(attempt.lease);
    return attempt;
  }

  it('lets snapshots share the storage but keeps the clean-up out while any holds it', async () => {
    expect((await take('shared', 'snapshot op-a')).lease).toBeDefined();
    expect((await take('shared', 'restore op-b')).lease).toBeDefined();
    const gc = await take('exclusive', 'clean-up');
    expect(gc.lease).toBeUndefined();
    expect(gc.lease === undefined && gc.blockers).toEqual(
      expect.arrayContaining(['snapshot op-a (shared)', 'restore op-b (shared)']),
    );
    for (const lease of held.splice(0)) await lease.release();
    expect((await take('exclusive', 'clean-up')).lease).toBeDefined();
  });

  it('keeps snapshots out while the clean-up holds the storage, and lets them in after', async () => {
    const gc = await take('exclusive', 'clean-up');
    expect((await take('shared', 'snapshot op-a')).lease).toBeUndefined();
    expect((await take('exclusive', 'another clean-up')).lease).toBeUndefined();
    await gc.lease!.release();
    expect((await take('shared', 'snapshot op-a')).lease).toBeDefined();
  });

  it('frees the storage from a holder that stopped renewing, and that holder learns it lost its lease', async () => {
    // A lease of a process that died: never renewed, it lapses.
    await acquireStorageLock(t.handle.db, {
      id: 'dead',
      mode: 'shared',
      holder: 'snapshot op-dead',
      leaseMs: 50,
    });
    await sleep(120);
    expect((await take('exclusive', 'clean-up')).lease).toBeDefined();
    expect(await renewStorageLock(t.handle.db, 'dead', 60_000)).toBe(false);
  });

  it('fails a confirmation once the lease was taken away, so the work is not recorded as done', async () => {
    const snapshot = (await take('shared', 'snapshot op-a', 60_000)).lease!;
    await snapshot.confirm();
    await t.handle.db.deleteFrom('storage_locks').where('id', '=', snapshot.id).execute();
    await expect(snapshot.confirm()).rejects.toMatchObject({ code: 'storage_failed', retryable: true });
  });

  it('waits for the storage and gives up with a retryable error when it stays held', async () => {
    await take('exclusive', 'clean-up');
    const started = Date.now();
    await expect(
      StorageLease.acquire(t.handle.db, { mode: 'shared', holder: 'snapshot op-a', waitMs: 300, pollMs: 50 }),
    ).rejects.toMatchObject({ code: 'storage_failed', retryable: true, message: /clean-up \(exclusive\)/ });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
