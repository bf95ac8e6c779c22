import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type JobArtifact, jobRef } from '../../domain/jobs.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import {
  blobKey,
  isSafeRelativePath,
  type Manifest,
  type ManifestEntry,
  manifestKey,
} from '../snapshot/manifest.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/**
 * What a job keeps: its output folder, stored as a snapshot of its own (the manifest, with the
 * content in the blobs every snapshot shares), synced while the command runs and once more at its
 * end. A retry restores it onto the next machine; people download it from here.
 */

/** Files downloaded at once: enough to fill a link with small files, few enough for any disk. */
const DOWNLOADS_AT_ONCE = 4;
/** The least time one file's download is given, however small. */
const MIN_DOWNLOAD_MS = 120_000;

/**
 * The snapshot id a job's output folder is kept under: manifest at manifestKey(id), content in
 * the shared blobs/, so snapshotWorkspace/restoreWorkspace work on it unchanged.
 */
export function jobOutputSnapshotId(jobId: number): string {
  if (!Number.isSafeInteger(jobId) || jobId < 1) {
    throw new GpuopsError(ErrorCode.Internal, `A job id must be a positive integer, not ${jobId}.`);
  }
  return `job-${jobId}-output`;
}

/** The files a manifest holds (not its folders or links), sorted by path. */
export function artifactsOf(manifest: Manifest): JobArtifact[] {
  return manifest.entries
    .filter((entry): entry is ManifestEntry & { sha256: string } => entry.type === 'file' && !!entry.sha256)
    .map((entry) => ({ path: entry.path, bytes: entry.size, sha256: entry.sha256 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The job's output manifest as last synced; undefined when nothing was ever synced. */
export async function readJobOutputManifest(
  store: ObjectStore,
  jobId: number,
): Promise<Manifest | undefined> {
  const key = manifestKey(jobOutputSnapshotId(jobId));
  if (!(await store.exists(key))) return undefined;
  const text = await store.getText(key);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (err) {
    throw new GpuopsError(
      ErrorCode.StorageFailed,
      `${jobRef(jobId)}'s list of kept files (${key}) is not valid JSON; it was damaged in storage.`,
      { cause: err },
    );
  }
  if (manifest?.version !== 1 || !Array.isArray(manifest.entries)) {
    throw new GpuopsError(
      ErrorCode.StorageFailed,
      `${jobRef(jobId)}'s list of kept files (${key}) is not in a format this gpuops reads; a newer gpuops may have written it.`,
    );
  }
  return manifest;
}

/**
 * Downloads every artifact (or those under `only` paths) into outDir, verifying each file's size
 * and SHA-256 as it streams; writes to a temp name and renames; refuses unsafe paths
 * (isSafeRelativePath); a mismatch throws GpuopsError SnapshotMismatch naming the file and leaves
 * no file of that name. Returns totals (0 files when `only` names none of them).
 */
export async function downloadArtifacts(
  store: ObjectStore,
  jobId: number,
  outDir: string,
  options: { only?: readonly string[] } = {},
): Promise<{ files: number; bytes: number }> {
  const manifest = await readJobOutputManifest(store, jobId);
  if (!manifest) {
    throw new GpuopsError(
      ErrorCode.StorageFailed,
      `${jobRef(jobId)} kept no artifacts: nothing was left in its output folder, or its output was never synced to storage.`,
      { details: { jobId } },
    );
  }
  const all = artifactsOf(manifest);
  // Checked before anything is written: a damaged or hostile list must not write outside outDir.
  const unsafe = all.find((artifact) => !isSafeRelativePath(artifact.path));
  if (unsafe) {
    throw new GpuopsError(
      ErrorCode.SnapshotMismatch,
      `${jobRef(jobId)}'s list of kept files names "${unsafe.path}", which is not a path inside a folder; nothing was downloaded.`,
      { details: { jobId, path: unsafe.path } },
    );
  }
  const wanted = selectArtifacts(all, options.only);
  const root = path.resolve(outDir);
  await mkdir(root, { recursive: true });
  const byPath = new Map(manifest.entries.map((entry) => [entry.path, entry]));

  let next = 0;
  let bytes = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < wanted.length) {
      const artifact = wanted[next++] as JobArtifact;
      try {
        await downloadOne(store, jobId, root, artifact, byPath.get(artifact.path));
        bytes += artifact.bytes;
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS_AT_ONCE, wanted.length) }, worker));
  if (failure !== undefined) throw failure;
  return { files: wanted.length, bytes };
}

/** The artifacts at or under the `only` paths (`./`, trailing `/` allowed); all without it. */
function selectArtifacts(all: JobArtifact[], only: readonly string[] | undefined): JobArtifact[] {
  if (!only || only.length === 0) return all;
  const prefixes = only
    .map((p) =>
      p
        .trim()
        .replace(/^(\.\/)+/, '')
        .replace(/\/+$/, ''),
    )
    .filter((p) => p !== '');
  if (prefixes.length === 0) return all;
  return all.filter((artifact) =>
    prefixes.some((prefix) => artifact.path === prefix || artifact.path.startsWith(`${prefix}/`)),
  );
}

async function downloadOne(
  store: ObjectStore,
  jobId: number,
  root: string,
  artifact: JobArtifact,
  entry: ManifestEntry | undefined,
): Promise<void> {
  const target = path.join(root, ...artifact.path.split('/'));
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.gpuops-download-${randomBytes(4).toString('hex')}`;
  const hash = createHash('sha256');
  let received = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      hash.update(chunk);
      // More than the manifest says is already wrong: stop instead of filling the disk.
      if (received > artifact.bytes) done(tooLong(jobId, artifact));
      else done(null, chunk);
    },
  });
  try {
    const body = await store.get(blobKey(artifact.sha256));
    await pipeline(body, counting, createWriteStream(temporary, { flags: 'wx' }), {
      signal: AbortSignal.timeout(timeoutFor(artifact.bytes)),
    });
    const sha256 = hash.digest('hex');
    if (received !== artifact.bytes || sha256 !== artifact.sha256) {
      throw new GpuopsError(
        ErrorCode.SnapshotMismatch,
        `${artifact.path} of ${jobRef(jobId)} did not download as kept: ${received} bytes with SHA-256 ${sha256.slice(0, 12)}…, not ${artifact.bytes} bytes with ${artifact.sha256.slice(0, 12)}…. Its stored copy is damaged; it was not saved.`,
        { details: { jobId, path: artifact.path } },
      );
    }
    if (entry) {
      // The owner can always read and replace what they downloaded, whatever the job left.
      await chmod(temporary, (entry.mode & 0o777) | 0o600);
      if (Number.isFinite(entry.mtime)) await utimes(temporary, entry.mtime, entry.mtime);
    }
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    if (err instanceof GpuopsError) throw err;
    if (
      (err as { name?: string }).name === 'AbortError' ||
      (err as { name?: string }).name === 'TimeoutError'
    ) {
      throw new GpuopsError(
        ErrorCode.Timeout,
        `Downloading ${artifact.path} of ${jobRef(jobId)} took too long; try again, or download it alone with --only ${artifact.path}.`,
        { retryable: true, cause: err },
      );
    }
    throw new GpuopsError(
      ErrorCode.StorageFailed,
      `Downloading ${artifact.path} of ${jobRef(jobId)} failed: ${err instanceof Error ? err.message : String(err)}.`,
      { retryable: true, cause: err },
    );
  }
}

function tooLong(jobId: number, artifact: JobArtifact): GpuopsError {
  return new GpuopsError(
    ErrorCode.SnapshotMismatch,
    `${artifact.path} of ${jobRef(jobId)} did not download as kept: more than the ${artifact.bytes} bytes it was kept with. Its stored copy is damaged; it was not saved.`,
    { details: { jobId, path: artifact.path } },
  );
}

/** A whole-file deadline that allows 1 MB/s and a minute to start: slow links finish, stuck ones end. */
function timeoutFor(bytes: number): number {
  return Math.max(MIN_DOWNLOAD_MS, 60_000 + Math.ceil(bytes / 1_000));
}
