import type { ObjectStore } from '../storage/object-store.ts';
import { type Manifest, manifestKey } from './manifest.ts';

export interface GarbageReport {
  /** Snapshots whose manifests were read to learn what content is still needed. */
  liveSnapshots: number;
  blobsKept: number;
  blobsDeleted: number;
  manifestsDeleted: number;
  ms: number;
}

const MANIFEST_READS_AT_ONCE = 8;
const BLOB_KEY = /^blobs\/[0-9a-f]{2}\/([0-9a-f]{64})$/;

/**
 * Frees snapshot storage, as restic's prune: reads the manifest of every snapshot that must stay,
 * deletes each stored content (`blobs/…`) none of them references, then the manifests (and
 * half-copied leftovers) of the snapshots being purged. Content is shared by every instance's
 * snapshots, so `live` must name all of them. Run it only under the storage's exclusive lease:
 * a snapshot under way may rely on content it found already stored. `stillHeld` is called before
 * anything is deleted and throws when the lease was lost.
 */
export async function collectGarbage(options: {
  store: ObjectStore;
  /** Snapshot ids (`snap-3`) whose content stays; `required`: its manifest must be there (complete). */
  live: ReadonlyArray<{ id: string; required: boolean }>;
  /** Snapshot ids whose manifests go. */
  purge: readonly string[];
  stillHeld: () => Promise<void>;
}): Promise<GarbageReport> {
  const started = performance.now();
  const { store } = options;
  const referenced = new Set<string>();
  let liveSnapshots = 0;
  for (let i = 0; i < options.live.length; i += MANIFEST_READS_AT_ONCE) {
    const batch = options.live.slice(i, i + MANIFEST_READS_AT_ONCE);
    const manifests = await Promise.all(
      batch.map(async ({ id, required }) => {
        // A snapshot still being taken may not have its manifest yet; a complete one must, and a
        // failed read of it stops the whole clean-up rather than guess what it needs.
        if (!required && !(await store.exists(manifestKey(id)))) return undefined;
        return JSON.parse(await store.getText(manifestKey(id))) as Manifest;
      }),
    );
    for (const manifest of manifests) {
      if (!manifest) continue;
      liveSnapshots++;
      for (const entry of manifest.entries) if (entry.sha256) referenced.add(entry.sha256);
    }
  }
  const unreferenced: string[] = [];
  let blobsKept = 0;
  for (const key of await store.list('blobs/')) {
    const sha = BLOB_KEY.exec(key)?.[1];
    if (sha === undefined || referenced.has(sha)) blobsKept++;
    else unreferenced.push(key);
  }
  for (let i = 0; i < unreferenced.length; i += 1_000) {
    await options.stillHeld();
    await store.delete(unreferenced.slice(i, i + 1_000));
  }
  const leftovers: string[] = [];
  for (const id of options.purge) {
    leftovers.push(manifestKey(id), ...(await store.list(`tmp/${id}/`)));
  }
  await options.stillHeld();
  await store.delete(leftovers);
  return {
    liveSnapshots,
    blobsKept,
    blobsDeleted: unreferenced.length,
    manifestsDeleted: options.purge.length,
    ms: Math.round(performance.now() - started),
  };
}
