import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import {
  acquireStorageLock,
  releaseStorageLock,
  renewStorageLock,
  type StorageLockMode,
} from '../../../db/repositories/storage-locks.ts';
import type { Database } from '../../../db/schema.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { LeaseRenewal } from './lease-renewal.ts';

export interface StorageLeaseOptions {
  mode: StorageLockMode;
  /** What holds it, for people and logs ("snapshot op-1a2b"). */
  holder: string;
  /** How long the lease lasts without renewal; renewed every third of it. Default 60 s. */
  leaseMs?: number;
}

const DEFAULT_LEASE_MS = 60_000;

/**
 * A lease on the snapshot storage (db/repositories/storage-locks.ts), renewed in the background
 * while held. Snapshots and restores hold a shared one for their whole run; the clean-up that
 * deletes content holds the exclusive one.
 */
export class StorageLease {
  private released = false;
  private readonly renewal: LeaseRenewal;

  private constructor(
    private readonly db: Kysely<Database>,
    readonly id: string,
    readonly holder: string,
    leaseMs: number,
  ) {
    this.renewal = new LeaseRenewal(() => renewStorageLock(db, id, leaseMs), leaseMs);
  }

  /** The lease now, or undefined (with what holds the storage) when an incompatible one is held. */
  static async tryAcquire(
    db: Kysely<Database>,
    options: StorageLeaseOptions,
  ): Promise<{ lease: StorageLease } | { lease: undefined; blockers: string[] }> {
    const id = `${options.mode}-${randomBytes(6).toString('hex')}`;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const attempt = await acquireStorageLock(db, { id, mode: options.mode, holder: options.holder, leaseMs });
    if (!attempt.acquired) return { lease: undefined, blockers: attempt.blockers };
    return { lease: new StorageLease(db, id, options.holder, leaseMs) };
  }

  /**
   * Waits for the lease (the clean-up holds the storage for seconds, rarely more). Gives up after
   * `waitMs` with a retryable error, or at once when `signal` aborts.
   */
  static async acquire(
    db: Kysely<Database>,
    options: StorageLeaseOptions & { waitMs?: number; pollMs?: number; signal?: AbortSignal },
  ): Promise<StorageLease> {
    const deadline = Date.now() + (options.waitMs ?? 10 * 60_000);
    for (;;) {
      const attempt = await StorageLease.tryAcquire(db, options);
      if (attempt.lease) return attempt.lease;
      if (Date.now() >= deadline || options.signal?.aborted) {
        throw new GpuopsError(
          ErrorCode.StorageFailed,
          `The snapshot storage is held by ${attempt.blockers.join(', ')}; try again shortly.`,
          { retryable: true },
        );
      }
      await sleep(options.pollMs ?? 1_000, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }

  /**
   * Throws when the lease was lost (not renewed in time and removed by another acquisition):
   * what it protected may have changed, so the work must not be recorded as done.
   */
  async confirm(): Promise<void> {
    if (this.released || !(await this.renewal.renew())) {
      throw new GpuopsError(
        ErrorCode.StorageFailed,
        `The ${this.holder} lost its lease on the snapshot storage (not renewed in time), so its work cannot be trusted; it will be done again.`,
        { retryable: true },
      );
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.renewal.stop();
    await releaseStorageLock(this.db, this.id);
  }
}

/** Runs `work` under a lease on the snapshot storage, released however it ends. */
export async function withStorageLease<T>(
  db: Kysely<Database>,
  options: StorageLeaseOptions & { waitMs?: number; signal?: AbortSignal },
  work: (lease: StorageLease) => Promise<T>,
): Promise<T> {
  const lease = await StorageLease.acquire(db, options);
  try {
    return await work(lease);
  } finally {
    await lease.release().catch(() => undefined);
  }
}
