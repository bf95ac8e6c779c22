import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import {
  type RedisClients,
  type RestartableRedis,
  startRestartableRedis,
} from '../support/restartable-redis.ts';

describe('when the queue goes down', () => {
  let redis: RestartableRedis;
  let g: TestGpuops;
  let clientsBefore: RedisClients;

  beforeAll(async () => {
    redis = await startRestartableRedis();
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', env: { REDIS_URL: redis.url } });
    clientsBefore = await redis.clients();
  });
  afterAll(async () => {
    // Redis back (empty) and gpuops's clients reconnected before it closes: they then close at
    // once, where against a dead Redis each would wait out the runtime's close timeout.
    await redis?.restart();
    if (clientsBefore) await redis?.awaitClients(clientsBefore);
    await g?.close();
    await redis?.kill();
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
