import { resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { offerQuery, sharedFilters, underPerGpuCeiling } from '../cloud/market-query.ts';
import type { Offer } from '../cloud/provider.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice, renderTable } from '../format/text.ts';
import { searchOffersSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export function renderOffers(offers: Offer[]): string {
  return renderTable(
    ['offer', 'gpu', 'n', 'vram', '$/gpu/hr', '$/hr', 'reliab.', 'where', 'cuda', 'disk'],
    offers.map((o) => [
      String(o.id),
      o.gpuName,
      String(o.numGpus),
      `${o.gpuRamGb}GB`,
      (o.pricePerHour / o.numGpus).toFixed(3),
      o.pricePerHour.toFixed(3),
      `${(o.reliability * 100).toFixed(1)}%`,
      o.location,
      o.cudaVersion.toFixed(1),
      `${Math.round(o.diskGb)}GB`,
    ]),
  );
}

/** The first offer of each GPU model, keeping the provider's order. */
function bestOfferPerModel(offers: Offer[]): Offer[] {
  const seen = new Set<string>();
  return offers.filter((offer) => {
    if (seen.has(offer.gpuName)) return false;
    seen.add(offer.gpuName);
    return true;
  });
}

export const searchOffersTool = defineTool({
  name: 'search_offers',
  description:
    'Search the GPU marketplace for rentable offers, cheapest first by default. Use for "what GPUs are available", "show me A100 offers in Europe", "cheapest 4090".',
  schema: searchOffersSchema,
  kind: 'quick',
  async run(args, _ctx, services) {
    const gpu = args.gpu === undefined ? undefined : resolveGpuArg(args.gpu);
    const limit = args.limit ?? (args.gpu === undefined ? 20 : 10);
    const query = offerQuery(
      {
        ...sharedFilters(args),
        ...(gpu && { gpu }),
        ...(args.min_gpu_ram_gb !== undefined && { minGpuRamGb: args.min_gpu_ram_gb }),
        ...(args.order !== undefined && { order: args.order }),
        limit,
      },
      services.config,
    );
    // "What GPUs are available" wants a spread of models, not ten offers of the cheapest one:
    // without a GPU named, show the best offer of each model.
    const byModel = gpu === undefined;
    if (byModel) query.limit = 1_000;
    const found = (await services.provider.searchOffers(query)).filter((o) =>
      underPerGpuCeiling(o, args.max_price_per_gpu_hour),
    );
    const offers = byModel ? bestOfferPerModel(found).slice(0, limit) : found;
    const what = [
      args.count && args.count > 1 ? `${args.count}x` : '',
      gpu?.displayName ?? 'GPU',
      byModel ? 'models' : 'offers',
      args.max_price_per_gpu_hour === undefined
        ? ''
        : `under ${formatPrice(args.max_price_per_gpu_hour)} per GPU`,
      args.region ? `in ${args.region}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (offers.length === 0) {
      throw new GpuopsError(
        ErrorCode.NoMatchingOffer,
        `No ${what} right now. Try a higher price, another region, or fewer GPUs per machine.`,
      );
    }
    const cheapest = offers.reduce((a, b) => (b.pricePerHour < a.pricePerHour ? b : a));
    const text = [
      `${offers.length} ${what}${byModel ? ` (the best offer of each, from ${found.length} offers)` : ''}:`,
      '```',
      renderOffers(offers),
      '```',
      `Cheapest: ${cheapest.numGpus}x ${cheapest.gpuName} at ${formatPrice(cheapest.pricePerHour)} in ${cheapest.location}. Say "deploy ${cheapest.numGpus}x ${gpu ? gpu.displayName : cheapest.gpuName}" to rent one.`,
    ].join('\n');
    return { text, data: { query, offers } };
  },
});
