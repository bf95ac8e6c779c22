import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactsOf,
  downloadArtifacts,
  jobOutputSnapshotId,
  readJobOutputManifest,
} from '../../../src/cloud/jobs/job-artifacts.ts';
import {
  blobKey,
  type Manifest,
  type ManifestEntry,
  manifestKey,
} from '../../../src/cloud/snapshot/manifest.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../../src/cloud/storage/object-store.ts';
import { ErrorCode, GpuopsError } from '../../../src/errors.ts';

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/**
 * Keeps `files` as a job's output the way a sync does: content under its hash in blobs/, then the
 * manifest (with a folder entry, as a listing of the output folder has).
 */
async function keepOutput(
  store: ObjectStore,
  jobId: number,
  files: Record<string, string | Buffer>,
  extra: ManifestEntry[] = [],
): Promise<Manifest> {
  const entries: ManifestEntry[] = [];
  for (const [file, content] of Object.entries(files)) {
    const hash = sha256(content);
    await store.put(blobKey(hash), Buffer.from(content));
    entries.push({
      path: file,
      type: 'file',
      mode: 0o644,
      size: Buffer.byteLength(content),
      mtime: 1_700_000_000,
      sha256: hash,
    });
  }
  entries.push(...extra);
  const manifest: Manifest = { version: 1, createdAt: new Date().toISOString(), entries };
  await store.put(
    manifestKey(jobOutputSnapshotId(jobId)),
    Buffer.from(JSON.stringify(manifest)),
    'application/json',
  );
  return manifest;
}

describe("a job's artifacts", () => {
  let s3: LocalS3;
  let s3Dir: string;
  let store: ObjectStore;
  const outDirs: string[] = [];
  const outDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-artifacts-out-'));
    outDirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    s3Dir = await mkdtemp(path.join(tmpdir(), 'gpuops-artifacts-'));
    s3 = await startLocalS3(s3Dir, 'job-artifacts');
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'job-artifacts',
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
  });

  afterAll(async () => {
    store?.close();
    await s3?.close();
    for (const dir of [s3Dir, ...outDirs]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('are kept as the snapshot job-N-output, its files listed by path', async () => {
    expect(jobOutputSnapshotId(4)).toBe('job-4-output');
    const manifest = await keepOutput(
      store,
      4,
      { 'model.bin': 'weights', 'ckpt/step-2.pt': 'two', 'a.txt': '' },
      [
        { path: 'ckpt', type: 'dir', mode: 0o755, size: 0, mtime: 1_700_000_000 },
        {
          path: 'latest',
          type: 'symlink',
          mode: 0o777,
          size: 11,
          mtime: 1_700_000_000,
          target: 'ckpt/step-2.pt',
        },
      ],
    );
    expect(await readJobOutputManifest(store, 4)).toEqual(manifest);
    expect(await readJobOutputManifest(store, 404)).toBeUndefined();
    expect(artifactsOf(manifest)).toEqual([
      { path: 'a.txt', bytes: 0, sha256: sha256('') },
      { path: 'ckpt/step-2.pt', bytes: 3, sha256: sha256('two') },
      { path: 'model.bin', bytes: 7, sha256: sha256('weights') },
    ]);
  });

  it('download into a folder, every file checked, with its mode and time', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    await keepOutput(store, 5, {
      'model.bin': big,
      'logs/loss.txt': 'loss 0.5\n',
      'logs/deep/empty.txt': '',
    });
    const out = await outDir();
    expect(await downloadArtifacts(store, 5, out)).toEqual({ files: 3, bytes: big.length + 9 });
    expect((await readFile(path.join(out, 'model.bin'))).equals(big)).toBe(true);
    expect(await readFile(path.join(out, 'logs/loss.txt'), 'utf8')).toBe('loss 0.5\n');
    expect(await readFile(path.join(out, 'logs/deep/empty.txt'), 'utf8')).toBe('');
    const info = await stat(path.join(out, 'logs/loss.txt'));
    expect(info.mode & 0o777).toBe(0o644);
    expect(Math.round(info.mtimeMs / 1000)).toBe(1_700_000_000);
    expect((await readdir(out)).sort()).toEqual(['logs', 'model.bin']);

    // Downloading again replaces the files in place.
    expect(await downloadArtifacts(store, 5, out)).toMatchObject({ files: 3 });
    expect((await readdir(out)).sort()).toEqual(['logs', 'model.bin']);
  });

  it('download only the files or folders asked for', async () => {
    await keepOutput(store, 6, { 'model.bin': 'm', 'logs/a.txt': 'a', 'logs/b.txt': 'bb', 'logsx.txt': 'x' });
    const out = await outDir();
    expect(await downloadArtifacts(store, 6, out, { only: ['logs/'] })).toEqual({ files: 2, bytes: 3 });
    expect((await readdir(out)).sort()).toEqual(['logs']);
    expect(await downloadArtifacts(store, 6, out, { only: ['./model.bin'] })).toEqual({ files: 1, bytes: 1 });
    expect(await downloadArtifacts(store, 6, await outDir(), { only: ['nothing/here'] })).toEqual({
      files: 0,
      bytes: 0,
    });
  });

  it('refuse a file whose stored copy is damaged, leaving nothing under its name', async () => {
    await keepOutput(store, 7, {
      'ok.txt': 'fine',
      'model.bin': 'the real weights',
      'short.bin': 'twelve bytes',
    });
    // The stored copies changed behind the manifest's back: one the same size, one longer.
    await store.put(blobKey(sha256('the real weights')), Buffer.from('THE REAL WEIGHTS'));
    await store.put(blobKey(sha256('twelve bytes')), Buffer.from('twelve bytes and then some more'));

    const out = await outDir();
    const failure = await downloadArtifacts(store, 7, out, { only: ['model.bin'] }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(GpuopsError);
    expect(failure).toMatchObject({ code: ErrorCode.SnapshotMismatch });
    expect((failure as Error).message).toMatch(
      /^model\.bin of j-7 did not download as kept: 16 bytes with SHA-256/,
    );
    expect(await readdir(out)).toEqual([]);

    const longer = await downloadArtifacts(store, 7, out, { only: ['short.bin'] }).catch(
      (err: unknown) => err,
    );
    expect(longer).toMatchObject({ code: ErrorCode.SnapshotMismatch });
    expect((longer as Error).message).toContain(
      'short.bin of j-7 did not download as kept: more than the 12 bytes',
    );
    expect(await readdir(out)).toEqual([]);

    await expect(downloadArtifacts(store, 7, out)).rejects.toMatchObject({
      code: ErrorCode.SnapshotMismatch,
    });
    expect(existsSync(path.join(out, 'model.bin'))).toBe(false);
    expect(existsSync(path.join(out, 'short.bin'))).toBe(false);
    expect((await readdir(out)).filter((name) => name !== 'ok.txt')).toEqual([]);
  });

  it('refuse a list of files that would write outside the folder, writing nothing', async () => {
    const content = 'escape';
    await store.put(blobKey(sha256(content)), Buffer.from(content));
    const entry = (file: string): ManifestEntry => ({
      path: file,
      type: 'file',
      mode: 0o644,
      size: content.length,
      mtime: 1,
      sha256: sha256(content),
    });
    const manifest: Manifest = {
      version: 1,
      createdAt: new Date().toISOString(),
      entries: [entry('fine.txt'), entry('../outside.txt')],
    };
    await store.put(manifestKey(jobOutputSnapshotId(8)), Buffer.from(JSON.stringify(manifest)));
    const parent = await outDir();
    const out = path.join(parent, 'out');
    await expect(downloadArtifacts(store, 8, out)).rejects.toThrow(
      /^j-8's list of kept files names "\.\.\/outside\.txt", which is not a path inside a folder; nothing was downloaded\.$/,
    );
    expect(await readdir(parent)).toEqual([]);
  });

  it('say so when the job kept nothing', async () => {
    const failure = await downloadArtifacts(store, 9, await outDir()).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(GpuopsError);
    expect(failure).toMatchObject({ code: ErrorCode.StorageFailed });
    expect((failure as Error).message).toMatch(/^j-9 kept no artifacts/);
  });
});
