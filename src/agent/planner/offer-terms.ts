import { withoutFloatNoise } from './numerals.ts';
import { notEnoughMemory } from './questions.ts';
import type { Extraction } from './types.ts';

/** What a search and a deploy both read from a request: the price per GPU, and memory a model can have. */

/** A price "for the whole machine" is split over its GPUs, since the tools take per-GPU prices. */
export function pricePerGpu(ex: Extraction): number | undefined {
  if (ex.maxPrice === undefined) return undefined;
  return ex.priceIsTotal ? withoutFloatNoise(ex.maxPrice / (ex.count ?? 1)) : ex.maxPrice;
}

/** "4090 with 48GB": the model cannot meet the memory asked for, so no offer ever would. */
export function smallerThanAsked(ex: Extraction): string | undefined {
  const need = ex.minGpuRamGb;
  if (need === undefined) return undefined;
  const small = ex.gpus.find((gpu) => gpu.vramGb < need);
  return small ? notEnoughMemory(small, need) : undefined;
}
