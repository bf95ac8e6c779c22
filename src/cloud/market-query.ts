import type { Config } from '../config.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import type { GpuModel } from './gpu-catalog.ts';
import type { Offer, OfferQuery } from './provider.ts';
import { countriesForRegion, REGIONS } from './regions.ts';

/**
 * Marketplace queries from what people ask for: filters shared by search and deploy, the
 * provider query they become, and the team's price limits.
 */

export function countriesFor(region: string | undefined): string[] | undefined {
  if (region === undefined) return undefined;
  if ((REGIONS as readonly string[]).includes(region))
    return countriesForRegion(region as (typeof REGIONS)[number]);
  return [region.toUpperCase()];
}

export interface MarketFilters {
  gpu?: GpuModel;
  count?: number;
  maxPricePerGpuHour?: number;
  region?: string;
  minGpuRamGb?: number;
  minReliability?: number;
  diskGb?: number;
  order?: OfferQuery['order'];
  limit?: number;
}

/** The filters deploy and search share, from tool arguments (snake_case) to MarketFilters. */
export function sharedFilters(args: {
  count?: number | undefined;
  max_price_per_gpu_hour?: number | undefined;
  region?: string | undefined;
  min_reliability?: number | undefined;
}): MarketFilters {
  return {
    ...(args.count !== undefined && { count: args.count }),
    ...(args.max_price_per_gpu_hour !== undefined && { maxPricePerGpuHour: args.max_price_per_gpu_hour }),
    ...(args.region !== undefined && { region: args.region }),
    ...(args.min_reliability !== undefined && { minReliability: args.min_reliability }),
  };
}

/** Builds the provider query; the per-GPU price ceiling becomes a ceiling on the offer's total. */
export function offerQuery(filters: MarketFilters, config: Config): OfferQuery {
  const query: OfferQuery = { order: filters.order ?? 'price', limit: filters.limit ?? 10 };
  if (filters.gpu) {
    query.gpuNames = [filters.gpu.marketName];
    query.minGpuRamGb = filters.gpu.vramGb;
  }
  if (filters.minGpuRamGb !== undefined)
    query.minGpuRamGb = Math.max(query.minGpuRamGb ?? 0, filters.minGpuRamGb);
  if (filters.count !== undefined) query.numGpus = filters.count;
  const perGpuCeiling = filters.maxPricePerGpuHour;
  if (perGpuCeiling !== undefined) {
    // Without a GPU count the ceiling on the offer's total is loose (up to 16 GPUs a machine);
    // callers then keep the offers whose price per GPU is under it (`underPerGpuCeiling`).
    query.maxPricePerHour = perGpuCeiling * (filters.count ?? 16);
  }
  // Never show or rent anything above the configured budget, whatever was asked.
  query.maxPricePerHour = Math.min(query.maxPricePerHour ?? Number.POSITIVE_INFINITY, config.maxPricePerHour);
  const countries = countriesFor(filters.region);
  if (countries) query.countries = countries;
  if (filters.minReliability !== undefined) query.minReliability = filters.minReliability;
  if (filters.diskGb !== undefined) query.diskGb = filters.diskGb;
  return query;
}

export function checkBudget(pricePerGpuHour: number | undefined, count: number, config: Config): void {
  if (pricePerGpuHour === undefined) return;
  const total = pricePerGpuHour * count;
  if (total > config.maxPricePerHour) {
    throw new GpuopsError(
      ErrorCode.PriceOutOfRange,
      `${count} × $${pricePerGpuHour}/hr is $${total.toFixed(2)}/hr, above this team's limit of $${config.maxPricePerHour}/hr (GPUOPS_MAX_PRICE_PER_HOUR). Ask for less, or raise the limit.`,
    );
  }
}

export function underPerGpuCeiling(offer: Offer, ceiling: number | undefined): boolean {
  return ceiling === undefined || offer.pricePerHour / offer.numGpus <= ceiling + 1e-9;
}
