import type { GpuModel } from '../../cloud/gpu-catalog.ts';
import type { PlannedCall } from '../../tools/schemas.ts';

/** What the offline planner makes of one chat message. */
export type Plan =
  | { kind: 'calls'; calls: PlannedCall[] }
  | { kind: 'help' }
  | { kind: 'clarify'; message: string }
  | { kind: 'unknown'; message: string };

export type OfferOrder = 'price' | 'reliability' | 'performance_per_dollar';

/** Which extracted value a problem belongs to, so a plan only complains about what it uses. */
export type Field =
  | 'price'
  | 'count'
  | 'disk'
  | 'reliability'
  | 'memory'
  | 'instance'
  | 'snapshot'
  | 'job'
  | 'name'
  | 'limit'
  | 'region';

/** A value the user gave that no tool can take, with the sentence that tells them why. */
export interface Problem {
  field: Field;
  message: string;
}

/** Everything the extractors pulled out of one request, before the intent is known. */
export interface Extraction {
  /** Instance ids in the order written, without duplicates ("i-3"). */
  instances: string[];
  /** Snapshot ids in the order written, without duplicates ("snap-3"). */
  snapshots: string[];
  /** Job ids in the order written, without duplicates ("j-4"). */
  jobs: string[];
  /** Catalog models named, in order, without duplicates. */
  gpus: GpuModel[];
  /** GPU-looking words that match no catalog model ("rtx 9090", "a200"), as written. */
  unknownGpus: string[];
  count?: number;
  /** USD per GPU per hour, or per machine-hour when `priceIsTotal`. */
  maxPrice?: number;
  /** The price was for the whole machine ("$2/hr total"), to be split over the GPU count. */
  priceIsTotal: boolean;
  /** A region enum value or an ISO 3166-1 alpha-2 code. */
  region?: string;
  /**
   * A place that covers several the tools take (APAC: asia and oceania), with the question to ask
   * where one call cannot be split into one per place; the question is also in `problems`.
   */
  regionChoices?: { places: string[]; problem: Problem };
  image?: string;
  /** A name for what is made ("called before-upgrade"), as written. */
  name?: string;
  diskGb?: number;
  minReliability?: number;
  minGpuRamGb?: number;
  order?: OfferOrder;
  limit?: number;
  problems: Problem[];
}

export function emptyExtraction(): Extraction {
  return {
    instances: [],
    snapshots: [],
    jobs: [],
    gpus: [],
    unknownGpus: [],
    priceIsTotal: false,
    problems: [],
  };
}
