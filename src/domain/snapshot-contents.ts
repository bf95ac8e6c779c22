/** What a workspace entry is. */
export type SnapshotEntryType = 'file' | 'dir' | 'symlink';

/** What a snapshot holds at a glance: counts, the largest files and the largest top-level entries. */
export interface SnapshotContents {
  dirs: number;
  symlinks: number;
  /** The largest files, largest first. */
  largest_files: Array<{ path: string; bytes: number }>;
  /** Top-level entries by total size (a folder counts every file under it), largest first. */
  top_level: Array<{ path: string; type: SnapshotEntryType; files: number; bytes: number }>;
}
