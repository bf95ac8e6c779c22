import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { planRequest } from '../../src/agent/planner/index.ts';

const REQUESTS = [
  'deploy two 4090s under $0.45/hr with the pytorch image in europe',
  'find 2x H100 SXM in the US with at least 0.98 reliability, top 5 sorted by reliability',
  'any gpus with 48gb or more under a dollar',
  'rent 2x A100 80GB, 200 GB disk',
  'pause i-3, i-4 and i-5',
  'stop i-3 and destroy i-4',
  "what's running?",
  'how do I connect to i-3',
  'deploy an rtx 9090',
  'write me a poem about the sea',
  `deploy a 4090 ${'and please be quick about it '.repeat(60)}`,
];

describe('planner speed', () => {
  it('plans a request in well under a millisecond (median)', () => {
    for (let i = 0; i < 200; i++) for (const r of REQUESTS) planRequest(r);
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      for (const r of REQUESTS) {
        const start = performance.now();
        planRequest(r);
        times.push(performance.now() - start);
      }
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    expect(median).toBeLessThan(0.5);
  });
});
