import type { SnapshotContents, SnapshotEntryType } from '../../domain/snapshot-contents.ts';

/**
 * What a snapshot holds: every entry of the workspace with its type, mode, size, modification
 * time and, for files, the SHA-256 of its content, which is also where the content is stored
 * (`blobs/<sha256>`), so content shared between snapshots is stored once.
 */
export interface ManifestEntry {
  /** Relative to the workspace, never starting with `/` or containing `..`. */
  path: string;
  type: SnapshotEntryType;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  size: number;
  /** Seconds since the epoch, with fractions. */
  mtime: number;
  sha256?: string;
  /** A symlink's target, as stored in the link. */
  target?: string;
}

export interface Manifest {
  version: 1;
  createdAt: string;
  entries: ManifestEntry[];
}

export function blobKey(sha256: string): string {
  return `blobs/${sha256.slice(0, 2)}/${sha256}`;
}

export function manifestKey(snapshotId: string): string {
  return `snapshots/${snapshotId}/manifest.json`;
}

/** Totals of a manifest, for reports. */
export function manifestTotals(manifest: Manifest): { files: number; bytes: number; entries: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of manifest.entries) {
    if (entry.type === 'file') {
      files++;
      bytes += entry.size;
    }
  }
  return { files, bytes, entries: manifest.entries.length };
}

/** A path that cannot leave the workspace when joined to it. */
export function isSafeRelativePath(path: string): boolean {
  return (
    path !== '' && !path.startsWith('/') && !path.split('/').some((part) => part === '..' || part === '')
  );
}

export function summarizeManifest(manifest: Manifest, top = 5): SnapshotContents {
  let dirs = 0;
  let symlinks = 0;
  const files: Array<{ path: string; bytes: number }> = [];
  const topLevel = new Map<string, SnapshotContents['top_level'][number]>();
  for (const entry of manifest.entries) {
    if (entry.type === 'dir') dirs++;
    else if (entry.type === 'symlink') symlinks++;
    else files.push({ path: entry.path, bytes: entry.size });
    const slash = entry.path.indexOf('/');
    const head = slash === -1 ? entry.path : entry.path.slice(0, slash);
    const item = topLevel.get(head) ?? {
      path: head,
      type: slash === -1 ? entry.type : 'dir',
      files: 0,
      bytes: 0,
    };
    if (entry.type === 'file') {
      item.files++;
      item.bytes += entry.size;
    }
    topLevel.set(head, item);
  }
  const bySize = <T extends { bytes: number; path: string }>(a: T, b: T) =>
    b.bytes - a.bytes || (a.path < b.path ? -1 : 1);
  return {
    dirs,
    symlinks,
    largest_files: files.sort(bySize).slice(0, top),
    top_level: [...topLevel.values()].sort(bySize).slice(0, top),
  };
}
