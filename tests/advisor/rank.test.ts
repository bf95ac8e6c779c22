import { describe, expect, it } from 'vitest';
import { rankOffers, topConfigurations } from '../../src/advisor/rank.ts';
import type { SpeedEstimate, Workload } from '../../src/advisor/types.ts';
import type { Offer } from '../../src/cloud/provider.ts';
import { createRng } from '../../src/cloud/sim/prng.ts';

const inference = { task: 'inference' } as Workload;
const training = { task: 'full-finetune' } as Workload;

let nextId = 1;
function offer(gpuName: string, numGpus: number, pricePerHour: number, reliability = 0.99): Offer {
  return {
    id: nextId++,
    machineId: nextId,
    hostId: 1,
    gpuName,
    numGpus,
    gpuRamGb: 24,
    pricePerHour,
    reliability,
    location: 'Texas, US',
    country: 'US',
    cudaVersion: 12.4,
    diskGb: 500,
    inetDownMbps: 1000,
    inetUpMbps: 1000,
    dlperf: 100,
    verified: true,
  };
}

/** Decode speed proportional to a per-GPU figure: two models of equal speed, one faster. */
const TOKENS: Record<string, number> = { 'rtx-4090': 100, 'rtx-3090': 100, 'h100-sxm': 400 };
const speed = (gpu: { id: string }, count: number): SpeedEstimate => ({
  decodeTokensPerS: (TOKENS[gpu.id] ?? 50) * count,
  boundBy: 'memory-bandwidth',
});

describe('ranking live offers', () => {
  it('ranks by cost per million tokens, so a faster dearer GPU can beat a cheap slow one', () => {
    const cheapSlow = offer('RTX 4090', 1, 0.4);
    const fastDear = offer('H100 SXM', 1, 1.2);
    const { ranked } = rankOffers({
      workload: inference,
      offers: [cheapSlow, fastDear],
      minCount: new Map([
        ['rtx-4090', 1],
        ['h100-sxm', 1],
      ]),
      speed,
    });
    expect(ranked.map((r) => r.offer.id)).toEqual([fastDear.id, cheapSlow.id]);
    expect(ranked[0]!.unit).toBe('usd_per_million_tokens');
    expect(ranked[0]!.unitCost).toBeCloseTo((1.2 / (400 * 3600)) * 1e6, 6);
  });

  it('never ranks a cheaper configuration of equal speed below a dearer one, whatever the reliability', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 200; trial++) {
      const offers = Array.from({ length: 30 }, () =>
        offer(rng.pick(['RTX 4090', 'RTX 3090']), rng.pick([1, 2]), rng.range(0.2, 2), rng.range(0.9, 1)),
      );
      const { ranked } = rankOffers({
        workload: inference,
        offers,
        minCount: new Map([
          ['rtx-4090', 1],
          ['rtx-3090', 1],
        ]),
        speed,
      });
      for (let i = 0; i < ranked.length; i++) {
        for (let j = i + 1; j < ranked.length; j++) {
          const [a, b] = [ranked[i]!, ranked[j]!];
          if (a.tokensPerS === b.tokensPerS)
            expect(a.offer.pricePerHour).toBeLessThanOrEqual(b.offer.pricePerHour);
        }
      }
    }
  });

  it('leaves out GPUs that cannot hold the workload and machines with too few of them', () => {
    const tooSmall = offer('RTX 3090', 1, 0.1);
    const enough = offer('RTX 3090', 2, 0.5);
    const notFitting = offer('RTX 4090', 8, 0.5);
    const { ranked } = rankOffers({
      workload: inference,
      offers: [tooSmall, enough, notFitting],
      minCount: new Map([['rtx-3090', 2]]),
      speed,
    });
    expect(ranked.map((r) => r.offer.id)).toEqual([enough.id]);
    expect(ranked[0]!.count).toBe(2);
  });

  it('keeps unreliable hosts out while reliable ones remain, and says when it had to relax that', () => {
    const flaky = offer('RTX 4090', 1, 0.1, 0.7);
    const solid = offer('RTX 4090', 1, 0.5, 0.99);
    const minCount = new Map([['rtx-4090', 1]]);
    const both = rankOffers({ workload: inference, offers: [flaky, solid], minCount, speed });
    expect(both.ranked.map((r) => r.offer.id)).toEqual([solid.id]);
    expect(both.reliabilityRelaxed).toBe(false);
    const onlyFlaky = rankOffers({ workload: inference, offers: [flaky], minCount, speed });
    expect(onlyFlaky.ranked.map((r) => r.offer.id)).toEqual([flaky.id]);
    expect(onlyFlaky.reliabilityRelaxed).toBe(true);
  });

  it('respects a price ceiling per GPU-hour', () => {
    const ok = offer('RTX 4090', 2, 0.8);
    const dear = offer('RTX 4090', 1, 0.6);
    const { ranked } = rankOffers({
      workload: inference,
      offers: [ok, dear],
      minCount: new Map([['rtx-4090', 1]]),
      speed,
      maxPricePerGpuHour: 0.5,
    });
    expect(ranked.map((r) => r.offer.id)).toEqual([ok.id]);
  });

  it('prices a training run by its hours when the run size is known', () => {
    const o = offer('H100 SXM', 8, 20);
    const { ranked } = rankOffers({
      workload: training,
      offers: [o],
      minCount: new Map([['h100-sxm', 8]]),
      speed: () => ({ trainTokensPerS: 50_000, trainHours: 10, boundBy: 'compute' }),
    });
    expect(ranked[0]).toMatchObject({ unit: 'usd_per_run', unitCost: 200 });
  });

  it('returns the best offer of each distinct setup for the top three', () => {
    const offers = [
      offer('H100 SXM', 1, 1.0),
      offer('H100 SXM', 1, 1.1),
      offer('RTX 4090', 1, 0.3),
      offer('RTX 4090', 2, 0.6),
      offer('RTX 3090', 1, 0.35),
    ];
    const { ranked } = rankOffers({
      workload: inference,
      offers,
      minCount: new Map([
        ['h100-sxm', 1],
        ['rtx-4090', 1],
        ['rtx-3090', 1],
      ]),
      speed,
    });
    const top = topConfigurations(ranked, 3);
    expect(top.map((t) => `${t.count}x ${t.gpu.id}`)).toEqual(['1x h100-sxm', '1x rtx-4090', '2x rtx-4090']);
  });
});
