import { type GpuModel, gpuByMarketName } from '../cloud/gpu-catalog.ts';
import type { Offer } from '../cloud/provider.ts';
import type { SpeedEstimate, Workload } from './types.ts';

/**
 * Ranking live offers for a workload: every offer whose GPUs can hold the workload is priced per
 * unit of useful work (per million generated tokens, per training run, or per hour when there is
 * no token rate), cheapest first. Reliability is a floor, not a discount, so a cheaper offer of
 * equal speed is never ranked below a dearer one; among equals the more reliable host wins.
 */

export type CostUnit =
  | 'usd_per_day'
  | 'usd_per_million_tokens'
  | 'usd_per_run'
  | 'usd_per_million_training_tokens'
  | 'usd_per_hour';

export interface RankedOffer {
  offer: Offer;
  gpu: GpuModel;
  count: number;
  speed: SpeedEstimate;
  /** Tokens per second the unit cost is computed from (aggregate decode, or training). */
  tokensPerS: number | undefined;
  unit: CostUnit;
  unitCost: number;
  /** Serving at a stated load: copies of the setup it takes. */
  replicas?: number;
}

export interface RankOptions {
  workload: Workload;
  offers: readonly Offer[];
  /** Smallest GPU count that holds the workload, by catalog GPU id; GPUs absent here do not fit. */
  minCount: ReadonlyMap<string, number>;
  speed(gpu: GpuModel, count: number): SpeedEstimate;
  /** Offers below this reliability are left out while others remain. Default 0.9. */
  minReliability?: number;
  /** USD per GPU per hour the user would pay at most. */
  maxPricePerGpuHour?: number;
}

export interface Ranking {
  ranked: RankedOffer[];
  /** True when no offer met the reliability floor and less reliable ones were ranked instead. */
  reliabilityRelaxed: boolean;
  /** Offers considered (after the price ceiling, before the reliability floor). */
  considered: number;
}

export const DEFAULT_MIN_RELIABILITY = 0.9;

export function rankOffers(options: RankOptions): Ranking {
  const floor = options.minReliability ?? DEFAULT_MIN_RELIABILITY;
  const speedCache = new Map<string, SpeedEstimate>();
  const speedOf = (gpu: GpuModel, count: number) => {
    const key = `${gpu.id}x${count}`;
    let speed = speedCache.get(key);
    if (!speed) {
      speed = options.speed(gpu, count);
      speedCache.set(key, speed);
    }
    return speed;
  };

  const eligible: Array<{ offer: Offer; gpu: GpuModel }> = [];
  for (const offer of options.offers) {
    const gpu = gpuByMarketName(offer.gpuName);
    if (!gpu) continue;
    const needed = options.minCount.get(gpu.id);
    if (needed === undefined || offer.numGpus < needed) continue;
    if (
      options.maxPricePerGpuHour !== undefined &&
      offer.pricePerHour / offer.numGpus > options.maxPricePerGpuHour + 1e-9
    ) {
      continue;
    }
    eligible.push({ offer, gpu });
  }
  const reliable = eligible.filter((e) => e.offer.reliability >= floor);
  const pool = reliable.length > 0 ? reliable : eligible;

  const ranked = pool.map(({ offer, gpu }) => {
    const speed = speedOf(gpu, offer.numGpus);
    return {
      offer,
      gpu,
      count: offer.numGpus,
      speed,
      ...unitCost(options.workload, speed, offer.pricePerHour),
    };
  });
  ranked.sort(
    (a, b) =>
      a.unitCost - b.unitCost ||
      b.offer.reliability - a.offer.reliability ||
      a.offer.pricePerHour - b.offer.pricePerHour ||
      a.offer.id - b.offer.id,
  );
  return {
    ranked,
    reliabilityRelaxed: reliable.length === 0 && eligible.length > 0,
    considered: eligible.length,
  };
}

/** The best offer of each distinct configuration (GPU model × count), best first. */
export function topConfigurations(ranked: readonly RankedOffer[], n: number): RankedOffer[] {
  const seen = new Set<string>();
  const top: RankedOffer[] = [];
  for (const candidate of ranked) {
    const key = `${candidate.gpu.id}x${candidate.count}`;
    if (seen.has(key)) continue;
    seen.add(key);
    top.push(candidate);
    if (top.length === n) break;
  }
  return top;
}

function unitCost(
  workload: Workload,
  speed: SpeedEstimate,
  pricePerHour: number,
): { tokensPerS: number | undefined; unit: CostUnit; unitCost: number; replicas?: number } {
  if (workload.task === 'inference') {
    const tps = speed.decodeTokensPerS;
    // A stated load is served by whole copies of the setup, so the day's bill, not the cost per
    // token, is what to compare: a big setup that carries it alone can beat two cheaper ones.
    if (workload.load && tps && tps > 0) {
      const replicas = Math.max(1, Math.ceil(workload.load.tokensPerSecond / tps - 1e-9));
      return { tokensPerS: tps, unit: 'usd_per_day', unitCost: replicas * pricePerHour * 24, replicas };
    }
    if (tps && tps > 0) {
      return {
        tokensPerS: tps,
        unit: 'usd_per_million_tokens',
        unitCost: (pricePerHour / (tps * 3600)) * 1e6,
      };
    }
    return { tokensPerS: undefined, unit: 'usd_per_hour', unitCost: pricePerHour };
  }
  const tps = speed.trainTokensPerS;
  if (speed.trainHours !== undefined && speed.trainHours > 0) {
    return { tokensPerS: tps, unit: 'usd_per_run', unitCost: pricePerHour * speed.trainHours };
  }
  if (tps && tps > 0) {
    return {
      tokensPerS: tps,
      unit: 'usd_per_million_training_tokens',
      unitCost: (pricePerHour / (tps * 3600)) * 1e6,
    };
  }
  return { tokensPerS: undefined, unit: 'usd_per_hour', unitCost: pricePerHour };
}
