import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GpuopsError } from '../../../src/errors.ts';
import {
  describeRedisUrl,
  type QueueBackend,
  redisAnswers,
  resolveQueueBackend,
} from '../../../src/jobs/queue/backend.ts';
import { openTestDatabase, TEST_REDIS_URL, type TestDatabase, uniquePrefix } from '../../support/index.ts';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('choosing the queue backend', () => {
  let database: TestDatabase;
  const backends: QueueBackend[] = [];

  beforeAll(async () => {
    // The embedded database: what the Postgres fallback runs on when nothing is configured.
    database = await openTestDatabase('pglite');
  });
  afterEach(async () => {
    for (const backend of backends.splice(0)) await backend.close();
  });
  afterAll(async () => {
    await database?.cleanup();
  });

  async function resolve(opts: Omit<Parameters<typeof resolveQueueBackend>[0], 'database' | 'prefix'>) {
    const backend = await resolveQueueBackend({ database: database.handle, prefix: uniquePrefix(), ...opts });
    backends.push(backend);
    return backend;
  }

  it('uses the Redis REDIS_URL names when it answers', async () => {
    const backend = await resolve({ choice: 'auto', redisUrl: TEST_REDIS_URL });
    expect(backend.kind).toBe('redis');
    expect(backend.describe).toBe('Redis at 127.0.0.1:6379');
    expect(backend.connection).toMatchObject({ url: TEST_REDIS_URL, maxRetriesPerRequest: null });
  });

  it('with nothing configured, keeps jobs in PostgreSQL even when a Redis answers locally, deciding within a moment', async () => {
    // A local Redis may be another deployment's: the embedded default never shares a queue with it.
    expect(await redisAnswers(TEST_REDIS_URL, 1_000)).toBe(true);
    const started = Date.now();
    const backend = await resolve({ choice: 'auto' });
    expect(backend.kind).toBe('postgres');
    expect(backend.describe).toBe('PostgreSQL (the embedded database)');
    expect(backend.workerDefaults).toEqual({ drainDelay: 0.2 });
    expect(backend.queueEventsDefaults).toEqual({ blockingTimeout: 200 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('uses PostgreSQL when told to, even with a Redis answering', async () => {
    const backend = await resolve({ choice: 'postgres', redisUrl: TEST_REDIS_URL });
    expect(backend.kind).toBe('postgres');
  });

  it('refuses to start when the Redis in REDIS_URL does not answer, without showing its password', async () => {
    const url = `redis://:s3cret@127.0.0.1:${await closedPort()}`;
    for (const choice of ['auto', 'redis'] as const) {
      const err = await resolve({ choice, redisUrl: url }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GpuopsError);
      expect((err as Error).message).toContain('REDIS_URL');
      expect((err as Error).message).not.toContain('s3cret');
    }
  });

  it('describes a Redis without its credentials', () => {
    expect(describeRedisUrl('redis://gpuops:s3cret@redis.internal:6380/2')).toBe(
      'Redis at redis.internal:6380/2',
    );
    expect(describeRedisUrl('rediss://:s3cret@cache.example.com')).toBe('Redis at cache.example.com:6379');
  });
});

describe('asking whether a Redis answers', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('says yes for a running Redis', async () => {
    expect(await redisAnswers(TEST_REDIS_URL, 1_000)).toBe(true);
  });

  it('says no at once when nothing listens', async () => {
    const started = Date.now();
    expect(await redisAnswers(`redis://127.0.0.1:${await closedPort()}`, 1_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('says no within its timeout when something accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    const port = await listen(server);
    const started = Date.now();
    expect(await redisAnswers(`redis://127.0.0.1:${port}`, 300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const socket of sockets) socket.destroy();
  });

  it('says no for something that is not a URL', async () => {
    expect(await redisAnswers('not a url', 300)).toBe(false);
  });
});
