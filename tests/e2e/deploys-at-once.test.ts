import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';

/**
 * Many deploys of one GPU asked for at once all find the same few best offers and take them from
 * one another. The market still has plenty, so each deploy that lost its offers searches again
 * (a retried attempt) instead of failing, and none rents twice.
 */
const DEPLOYS = 12;

describe('deploys of one GPU asked for at once', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      env: { GPUOPS_WORKER_CONCURRENCY: String(DEPLOYS), GPUOPS_RECONCILE_INTERVAL_MS: '0' },
    });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('all succeed, each on a machine of its own, when the market has offers enough for all of them', async () => {
    const finals = await Promise.all(Array.from({ length: DEPLOYS }, () => g.follow('deploy a 3090')));
    expect(finals.map((f) => [f.state, f.error?.message ?? ''])).toEqual(
      Array.from({ length: DEPLOYS }, () => ['succeeded', '']),
    );
    const state = await getSimState(g.sim);
    for (const final of finals) {
      const rented = state.instances.filter((i) => i.label === `gpuops-${final.operationId}` && !i.destroyed);
      expect(rented).toHaveLength(1);
    }
    expect(new Set(finals.map((f) => f.result?.instance)).size).toBe(DEPLOYS);
  });
});
