import type { Extraction } from './types.ts';

/** The values a request may carry, each read once by its shared extractor (extract.ts). */
export type Slot =
  | 'instance'
  | 'snapshot'
  | 'job'
  | 'gpu'
  | 'count'
  | 'price'
  | 'region'
  | 'reliability'
  | 'memory'
  | 'order'
  | 'limit'
  | 'image'
  | 'name'
  | 'disk';

/** Whether the request gave the slot, readable or not: "i-1.5" still says it is about an instance. */
export function hasSlot(ex: Extraction, slot: Slot): boolean {
  switch (slot) {
    case 'instance':
      return ex.instances.length > 0 || ex.problems.some((p) => p.field === 'instance');
    case 'snapshot':
      return ex.snapshots.length > 0 || ex.problems.some((p) => p.field === 'snapshot');
    case 'job':
      return ex.jobs.length > 0 || ex.problems.some((p) => p.field === 'job');
    case 'gpu':
      return ex.gpus.length > 0 || ex.unknownGpus.length > 0;
    case 'count':
      return ex.count !== undefined;
    case 'price':
      return ex.maxPrice !== undefined;
    case 'region':
      return ex.region !== undefined;
    case 'reliability':
      return ex.minReliability !== undefined;
    case 'memory':
      return ex.minGpuRamGb !== undefined;
    case 'order':
      return ex.order !== undefined;
    case 'limit':
      return ex.limit !== undefined;
    case 'image':
      return ex.image !== undefined;
    case 'name':
      return ex.name !== undefined || ex.problems.some((p) => p.field === 'name');
    case 'disk':
      return ex.diskGb !== undefined;
  }
}
