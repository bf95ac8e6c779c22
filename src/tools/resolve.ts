import type { Kysely } from 'kysely';
import { getInstance } from '../../db/repositories/instances.ts';
import type { Database, InstanceRow } from '../../db/schema.ts';
import { type GpuModel, resolveGpu, suggestGpus } from '../cloud/gpu-catalog.ts';
import type { Offer, OfferQuery } from '../cloud/provider.ts';
import { countriesForRegion } from '../cloud/regions.ts';
import type { Config } from '../config.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { REGIONS } from './args.ts';
import type { RequestContext } from './tool.ts';

/** Turning tool arguments into things the provider and database understand, refusing bad ones. */

export function instanceRef(id: number): string {
  return `i-${id}`;
}

export function parseInstanceRef(ref: string): number {
  const match = /^i-(\d{1,9})$/.exec(ref.trim());
  if (!match) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `"${ref}" is not an instance id. Instance ids look like i-3; say "list my instances" to see yours.`,
    );
  }
  return Number(match[1]);
}

export function resolveGpuArg(text: string): GpuModel {
  const model = resolveGpu(text);
  if (model) return model;
  const suggestions = suggestGpus(text).map((m) => m.displayName);
  throw new GpuopsError(
    ErrorCode.UnknownGpu,
    `I don't know a GPU called "${text}". Did you mean ${suggestions.join(', ') || 'an RTX 4090 or an A100 80GB'}?`,
    { details: { suggestions } },
  );
}

/** Loads an instance the requester's channel owns, or says clearly why it cannot. */
export async function loadOwnedInstance(
  db: Kysely<Database>,
  ref: string,
  ctx: RequestContext,
): Promise<InstanceRow> {
  const id = parseInstanceRef(ref);
  const row = await getInstance(db, id);
  if (!row) {
    throw new GpuopsError(
      ErrorCode.InstanceNotFound,
      `There is no instance ${ref}. Say "list my instances" to see yours.`,
    );
  }
  if (row.channel !== ctx.channel) {
    throw new GpuopsError(
      ErrorCode.InstanceNotYours,
      `${ref} belongs to another channel, so I won't touch it from here. Ask in the channel that deployed it.`,
    );
  }
  return row;
}

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
