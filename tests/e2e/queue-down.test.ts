import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { type OwnRedis, startOwnRedis } from '../support/redis-server.ts';

describe('when the queue goes down', () => {
  let redis: OwnRedis;
  let g: TestGpuops;

  beforeAll(async () => {
    redis = await startOwnRedis();
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await redis?.kill();
    await g?.close();
  });

  it('answers a deploy with a clear error instead of hanging, and records nothing as pending', async () => {
    await redis.kill();
    const started = Date.now();
    await g.say('deploy a 4090');
    expect(Date.now() - started).toBeLessThan(15_000);
    const [error] = g.surface.errors();
    expect(error!.code).toBe('queue_unavailable');
    expect(error!.text).toContain('nothing was started');
    expect(g.surface.progressRefs()).toHaveLength(0);
    const pending = await g.runtime.database.db
      .selectFrom('operations')
      .selectAll()
      .where('state', 'in', ['queued', 'running'])
      .execute();
    expect(pending).toEqual([]);
  });
});
