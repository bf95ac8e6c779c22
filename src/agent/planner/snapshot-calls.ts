import { checked, checkedCalls, compact } from './checked-calls.ts';
import { pricePerGpu } from './offer-terms.ts';
import { missingSnapshot } from './questions.ts';
import type { Extraction, Plan } from './types.ts';

/**
 * The calls of the snapshot tools, built from what the shared extractors read: the instances and
 * snapshots named, a name, a GPU. Undefined where the request is about snapshots but cannot be
 * read as this act ("back up everything somewhere"): the snapshot tools then say how to ask.
 */

/** snapshot: one per instance named; one name is never given to several snapshots. */
export function takeSnapshots(ex: Extraction): Plan | undefined {
  if (ex.instances.length === 0 || ex.snapshots.length > 0) return undefined;
  if (ex.name !== undefined && ex.instances.length > 1) {
    return {
      kind: 'clarify',
      message: `One name is one snapshot: name them one at a time, e.g. "snapshot ${ex.instances[0]} called ${ex.name}".`,
    };
  }
  return checkedCalls(
    ex.instances.map((instance) => ({
      tool: 'snapshot' as const,
      args: { instance, ...(ex.name !== undefined && { name: ex.name }) },
    })),
  );
}

/** list_snapshots: all of the channel's, or each named instance's. */
export function listSnapshots(ex: Extraction): Plan | undefined {
  if (ex.snapshots.length > 0) return undefined;
  if (ex.instances.length === 0) return checked({ tool: 'list_snapshots', args: {} });
  return checkedCalls(
    ex.instances.map((instance) => ({ tool: 'list_snapshots' as const, args: { instance } })),
  );
}

/** restore: one snapshot onto one instance; anything less clear is asked about, never guessed. */
export function restoreSnapshot(ex: Extraction): Plan | undefined {
  const [snapshot, ...otherSnapshots] = ex.snapshots;
  if (snapshot === undefined) return undefined;
  if (otherSnapshots.length > 0) {
    return { kind: 'clarify', message: `${missingSnapshot('restore')} One restore puts back one snapshot.` };
  }
  const [instance, ...otherInstances] = ex.instances;
  if (instance === undefined) {
    return {
      kind: 'clarify',
      message: `Restore ${snapshot} onto which instance? Say e.g. "restore ${snapshot} onto i-9", or "restore ${snapshot} on a 4090" for a new instance.`,
    };
  }
  if (otherInstances.length > 0) {
    return {
      kind: 'clarify',
      message: `Restore ${snapshot} onto which one: ${ex.instances.join(' or ')}? One restore fills one instance.`,
    };
  }
  return checked({ tool: 'restore', args: { snapshot, instance } });
}

/** restore_to_new_instance: a snapshot onto a machine rented for it, of the GPU named or its own. */
export function restoreToNew(ex: Extraction): Plan | undefined {
  const [snapshot, ...others] = ex.snapshots;
  if (snapshot === undefined || ex.instances.length > 0) return undefined;
  if (others.length > 0) {
    return { kind: 'clarify', message: `${missingSnapshot('restore')} One restore puts back one snapshot.` };
  }
  if (ex.gpus.length > 1) {
    return {
      kind: 'clarify',
      message: `Which GPU should ${snapshot} go on: ${ex.gpus.map((g) => g.displayName).join(' or ')}?`,
    };
  }
  // An unknown GPU goes to the tool as written: it refuses it with suggestions.
  const gpu = ex.gpus[0]?.id ?? ex.unknownGpus[0];
  return checked({
    tool: 'restore_to_new_instance',
    args: compact({
      snapshot,
      gpu,
      count: ex.count,
      max_price_per_gpu_hour: pricePerGpu(ex),
      region: ex.region,
    }),
  });
}
