import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DatabaseHandle } from '../../db/database.ts';
import { type QueueBackend, resolveQueueBackend } from '../../src/jobs/queue/backend.ts';
import { silentLogger } from '../../src/log.ts';
import { openTestDatabase, type TestDatabaseKind } from './database.ts';

/** The Redis the tests use. TEST_REDIS_URL points them elsewhere (CI). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A queue prefix no other test uses, valid for GPUOPS_QUEUE_PREFIX and BullMQ. Only Redis
 * honours prefixes: on the Postgres backend, separate databases keep tests apart.
 */
export function uniquePrefix(label = 't'): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A queue name no other test uses (what keeps queues apart on a shared Postgres backend). */
export function uniqueQueueName(label = 'q'): string {
  return uniquePrefix(label);
}

/**
 * Deletes every Redis key under a queue prefix: what a test's queues leave behind. Queues on the
 * Postgres backend go away with their database instead.
 */
export async function dropRedisPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestBackendCombo {
  name: string;
  db: TestDatabaseKind;
  queue: QueueBackend['kind'];
}

/**
 * The two setups the end-to-end suites run on: the production-like one, and the one
 * `npm start` gives with nothing installed.
 */
export const testBackends: readonly TestBackendCombo[] = [
  { name: 'redis+postgres', db: 'postgres', queue: 'redis' },
  { name: 'postgres-queue+pglite', db: 'pglite', queue: 'postgres' },
];

export interface TestBackends {
  database: DatabaseHandle;
  queue: QueueBackend;
  prefix: string;
  /** Closes what the queue backend made, then the database, and throws the data away. */
  cleanup(): Promise<void>;
}

/** A private database and a queue backend of the given kinds, for suites below the runtime. */
export async function openTestBackends(combo: Pick<TestBackendCombo, 'db' | 'queue'>): Promise<TestBackends> {
  const db = await openTestDatabase(combo.db);
  const prefix = uniquePrefix();
  try {
    const queue = await resolveQueueBackend({
      choice: combo.queue,
      ...(combo.queue === 'redis' && { redisUrl: TEST_REDIS_URL }),
      database: db.handle,
      prefix,
      logger: silentLogger,
    });
    return {
      database: db.handle,
      queue,
      prefix,
      async cleanup() {
        try {
          await queue.close();
          if (queue.kind === 'redis') await dropRedisPrefix(prefix);
        } finally {
          await db.cleanup();
        }
      },
    };
  } catch (err) {
    await db.cleanup();
    throw err;
  }
}
