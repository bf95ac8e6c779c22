import type { GpuModel } from '../../../cloud/gpu-catalog.ts';
import { GET_ME, LOOK } from '../act-words.ts';
import { checkedCalls, compact } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { pricePerGpu, smallerThanAsked } from '../offer-terms.ts';
import { unknownGpu } from '../questions.ts';
import type { Extraction, Plan } from '../types.ts';
import { GPU_MARK } from '../unread-text.ts';

export const searchOffers: ToolReading = {
  reading: {
    acts: [{ pattern: /\b(?:search|find|browse|compare|shop|hunt|look(?:ing)?\s+(?:for|up))\b/, points: 4 }],
    objects: [
      {
        pattern:
          /\b(?:offers?|deals?|listings?|available|availability|options|prices?|pricing|market(?:place)?|quotes?|how\s+much|costs?|rates?)\b/,
        points: 4,
      },
      {
        pattern: new RegExp(
          String.raw`\b(?:what|which|any)\s+(?:kinds?\s+of\s+)?(?:${GPU_MARK}|gpus?|cards?|models?)`,
        ),
        points: 3,
      },
      { pattern: /\b(?:gpus?|cards?)\b/, points: 1 },
      { pattern: LOOK, points: 1 },
      { pattern: GET_ME, points: 1 },
    ],
    slots: [
      { slots: ['instance'], points: -4 },
      { slots: ['snapshot'], points: -6 },
      { slots: ['gpu'], points: 3 },
      { slots: ['order', 'limit', 'memory'], points: 2 },
      { slots: ['price'], points: 1 },
      { slots: ['count'], points: 1 },
      { slots: ['region'], points: 1 },
      { slots: ['reliability'], points: 1 },
    ],
    risk: 2,
    uses: ['price', 'count', 'reliability', 'memory', 'limit', 'region'],
    takesEachPlace: true,
    inherits: 'gpus',
    verb: 'search',
    build: searchPlan,
  },
};

function searchPlan(ex: Extraction): Plan {
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { kind: 'clarify', message: unknownGpu(unknown, 'find offers for') };
  const tooSmall = smallerThanAsked(ex);
  if (tooSmall) return { kind: 'clarify', message: tooSmall };
  const base = compact({
    count: ex.count,
    max_price_per_gpu_hour: pricePerGpu(ex),
    min_gpu_ram_gb: ex.minGpuRamGb,
    min_reliability: ex.minReliability,
    order: ex.order,
    limit: ex.limit,
  });
  // Several models ("4090 or 3090 offers") or places ("in APAC") become one search each, since a
  // search takes one model and one place.
  const gpus: (GpuModel | undefined)[] = ex.gpus.length > 0 ? ex.gpus : [undefined];
  const places: (string | undefined)[] = ex.regionChoices?.places ?? [ex.region];
  return checkedCalls(
    gpus.flatMap((gpu) =>
      places.map((region) => ({
        tool: 'search_offers' as const,
        args: { ...(gpu && { gpu: gpu.id }), ...base, ...(region !== undefined && { region }) },
      })),
    ),
  );
}
