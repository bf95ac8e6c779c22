import { extractCount } from './extract-count.ts';
import { extractDisk } from './extract-disk.ts';
import { extractLimit, extractMemory, extractOrder, extractReliability } from './extract-filters.ts';
import { extractGpus, extractUnknownGpus } from './extract-gpu.ts';
import { extractImage } from './extract-image.ts';
import { extractInstances } from './extract-instances.ts';
import { extractJobs } from './extract-jobs.ts';
import { extractName } from './extract-name.ts';
import { extractPrice } from './extract-price.ts';
import { extractRegion } from './extract-region.ts';
import { extractSnapshots } from './extract-snapshots.ts';
import { type Extraction, emptyExtraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * Runs the extractors over one request. The order matters because each consumes what it
 * understood: image references go first (their tags hold digits and colons), then names ("called v2-4090" names
 * no GPU), snapshot, job and instance ids ("job 4" is no instance),
 * disk sizes ("200 GB disk" is not GPU memory), sort phrases ("bang for the buck" is not a price),
 * reliability ("99%"), prices, GPU names, limits and counts (which read the GPU markers), memory
 * (after "A100 80GB" has been taken as a name), regions, and last the GPU-looking leftovers.
 */
const PIPELINE: ReadonlyArray<(unread: UnreadText, out: Extraction) => void> = [
  extractImage,
  extractName,
  extractSnapshots,
  extractJobs,
  extractInstances,
  extractDisk,
  extractOrder,
  extractReliability,
  extractPrice,
  extractGpus,
  extractLimit,
  extractCount,
  extractMemory,
  extractRegion,
  extractUnknownGpus,
];

export function extract(unread: UnreadText): Extraction {
  const out = emptyExtraction();
  for (const step of PIPELINE) step(unread, out);
  return out;
}
