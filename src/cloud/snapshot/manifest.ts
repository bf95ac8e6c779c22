/**
 * What a snapshot holds: every entry of the workspace with its type, mode, size, modification
 * time and, for files, the SHA-256 of its content, which is also where the content is stored
 * (`blobs/<sha256>`), so content shared between snapshots is stored once.
 */
export interface ManifestEntry {
  /** Relative to the workspace, never starting with `/` or containing `..`. */
  path: string;
  type: 'file' | 'dir' | 'symlink';
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
