import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import tar from 'tar-stream';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import type { SshSession } from '../ssh/ssh-session.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import {
  blobKey,
  isSafeRelativePath,
  type Manifest,
  type ManifestEntry,
  manifestKey,
  manifestTotals,
} from './manifest.ts';

/** Files up to this size are hashed in memory and stored at once; larger ones stream in parts. */
const IN_MEMORY_BYTES = 8 * 1024 * 1024;
/** S3's limit on copying an object in one request. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** Files whose storing may still be finishing while the next ones stream in. */
const FILES_STORING_AT_ONCE = 4;
const LIST_TIMEOUT_MS = 5 * 60_000;
const TRANSFER_TIMEOUT_MS = 6 * 3_600_000;

export interface SnapshotReport {
  manifest: Manifest;
  files: number;
  bytes: number;
  /** Content not already in storage, uploaded by this snapshot. */
  uploadedFiles: number;
  uploadedBytes: number;
  /** Files read on the instance to hash them (the rest were unchanged since `previous`). */
  hashedFiles: number;
  ms: number;
}

export interface RestoreReport {
  files: number;
  bytes: number;
  /** What differs from the manifest after the restore, one line each (at most 50). */
  mismatches: string[];
  mismatchCount: number;
  ms: number;
}

/**
 * Snapshots the workspace at `root` on the instance into `store`: lists it (files, directories,
 * symlinks, modes, sizes, times), hashes the files that changed since `previous` (same size and
 * time: the previous hash stands, as rsync's quick check), uploads content the store does not
 * hold yet (content-addressed, so unchanged or duplicated content is never sent twice) and
 * writes the manifest last: a snapshot without its manifest is not a snapshot.
 */
export async function snapshotWorkspace(options: {
  session: SshSession;
  store: ObjectStore;
  root: string;
  snapshotId: string;
  previous?: Manifest | undefined;
  /** Told as each step starts: 0 listing, 1 uploading, 2 saving the manifest. */
  onStep?: (step: number, detail?: string) => Promise<void>;
}): Promise<SnapshotReport> {
  const started = performance.now();
  const { session, store, root } = options;
  const step = options.onStep ?? (async () => {});
  await step(0);
  const entries = await listWorkspace(session, root);
  const known = new Map<string, ManifestEntry>();
  for (const entry of options.previous?.entries ?? []) {
    if (entry.type === 'file' && entry.sha256) known.set(entry.path, entry);
  }
  const files = entries.filter((e) => e.type === 'file');
  const toHash: ManifestEntry[] = [];
  for (const file of files) {
    const before = known.get(file.path);
    if (before && before.size === file.size && before.mtime === file.mtime) file.sha256 = before.sha256;
    else toHash.push(file);
  }

  // One upload per distinct content the store lacks. Files whose hash is known already are
  // looked up first; the others are hashed on the instance one after another, and each whose
  // content is missing joins the tar stream as soon as its hash arrives, so hashing the next file
  // overlaps sending this one.
  const wanted = new Set<string>();
  const manifest: Manifest = { version: 1, createdAt: new Date().toISOString(), entries };
  let uploaded: { files: number; bytes: number };
  try {
    await step(1, `${files.length} files, ${toHash.length} new or changed`);
    uploaded = await uploadFiles(
      session,
      store,
      root,
      entries,
      `tmp/${options.snapshotId}/`,
      async (send) => {
        const missing = async (file: ManifestEntry) => {
          if (!file.sha256 || wanted.has(file.sha256)) return;
          wanted.add(file.sha256);
          if (!(await store.exists(blobKey(file.sha256)))) send(file.path);
        };
        for (const file of files) if (file.sha256) await missing(file);
        // The first file to hash goes at once, hashed as it arrives, so the link does not sit idle
        // while the instance reads it through once to hash it; the hashes of the rest arrive ahead
        // of the stream. The price: that one file crosses the link even if the store holds its
        // content already (it is then not stored again). Large, it is staged and copied into
        // place, so it must be within S3's single-copy limit.
        const early = toHash[0] && toHash[0].size <= MAX_COPY_BYTES ? toHash[0] : undefined;
        if (early) send(early.path);
        const later = early ? toHash.slice(1) : toHash;
        const byPath = new Map(later.map((f) => [f.path, f]));
        await streamHashes(
          session,
          root,
          later.map((f) => f.path),
          async (path, sha256) => {
            const file = byPath.get(path);
            if (!file) return;
            file.sha256 = sha256;
            await missing(file);
          },
        );
      },
    );
    await step(2);
    await store.put(
      manifestKey(options.snapshotId),
      Buffer.from(JSON.stringify(manifest)),
      'application/json',
    );
  } catch (err) {
    // Content already stored under its hash stays for the next snapshot; half-copied leftovers go.
    await store
      .list(`tmp/${options.snapshotId}/`)
      .then((keys) => store.delete(keys))
      .catch(() => undefined);
    throw err;
  }
  const totals = manifestTotals(manifest);
  return {
    manifest,
    files: totals.files,
    bytes: totals.bytes,
    uploadedFiles: uploaded.files,
    uploadedBytes: uploaded.bytes,
    hashedFiles: toHash.length,
    ms: Math.round(performance.now() - started),
  };
}

/**
 * Restores a manifest into `root` on the instance (streamed as one tar from storage), then
 * verifies every entry on the instance against the manifest. A restore with any mismatch is
 * reported as such; it is never called a success.
 */
export async function restoreWorkspace(options: {
  session: SshSession;
  store: ObjectStore;
  root: string;
  manifest: Manifest;
  /** Told as each step starts: 0 streaming, 1 verifying. */
  onStep?: (step: number, detail?: string) => Promise<void>;
}): Promise<RestoreReport> {
  const started = performance.now();
  const { session, store, root, manifest } = options;
  const step = options.onStep ?? (async () => {});
  await step(0);
  for (const entry of manifest.entries) {
    if (!isSafeRelativePath(entry.path)) {
      throw new GpuopsError(
        ErrorCode.SnapshotMismatch,
        `The snapshot names a path outside the workspace: "${entry.path}".`,
      );
    }
  }
  const extract = await session.stream(
    `mkdir -p ${shellQuote(root)} && cd ${shellQuote(root)} && tar -xpf - --no-same-owner`,
    TRANSFER_TIMEOUT_MS,
  );
  // tar -x says nothing on stdout, but the channel's readable side must still flow to its end,
  // or the pipeline below (which waits for the whole duplex channel) never finishes.
  extract.stdout.resume();
  const pack = tar.pack();
  const sending = pipeline(pack, extract.stdin);
  const ordered = [...manifest.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const entry of ordered) {
    const header = { name: entry.path, mode: entry.mode, mtime: new Date(entry.mtime * 1000) };
    if (entry.type === 'dir') pack.entry({ ...header, type: 'directory' });
    else if (entry.type === 'symlink')
      pack.entry({ ...header, type: 'symlink', linkname: entry.target ?? '' });
    else {
      const content = await store.get(blobKey(entry.sha256 ?? ''));
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ ...header, type: 'file', size: entry.size }, (err) =>
          err ? reject(err) : resolve(),
        );
        content.on('error', reject);
        content.pipe(sink);
      });
    }
  }
  pack.finalize();
  await sending;
  const { code, stderr } = await extract.done;
  if (code !== 0) {
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `Unpacking the snapshot on the instance failed (exit ${code}): ${stderr}`,
    );
  }
  await step(1);
  const verified = await verifyWorkspace(session, root, manifest);
  const totals = manifestTotals(manifest);
  return {
    files: totals.files,
    bytes: totals.bytes,
    ...verified,
    ms: Math.round(performance.now() - started),
  };
}

/** Compares the workspace on the instance with the manifest, entry by entry, hashing every file. */
export async function verifyWorkspace(
  session: SshSession,
  root: string,
  manifest: Manifest,
): Promise<{ mismatches: string[]; mismatchCount: number }> {
  const actual = new Map((await listWorkspace(session, root)).map((e) => [e.path, e]));
  const files = manifest.entries.filter((e) => e.type === 'file' && actual.get(e.path)?.type === 'file');
  const hashes = await hashFiles(
    session,
    root,
    files.map((f) => f.path),
  );
  const mismatches: string[] = [];
  for (const want of manifest.entries) {
    const got = actual.get(want.path);
    if (!got) mismatches.push(`${want.path}: missing`);
    else if (got.type !== want.type) mismatches.push(`${want.path}: a ${got.type}, not a ${want.type}`);
    else if (want.type === 'symlink' && got.target !== want.target)
      mismatches.push(`${want.path}: links to ${got.target}, not ${want.target}`);
    else if (want.type === 'file' && got.size !== want.size)
      mismatches.push(`${want.path}: ${got.size} bytes, not ${want.size}`);
    else if (want.type === 'file' && hashes.get(want.path) !== want.sha256)
      mismatches.push(
        `${want.path}: content differs (SHA-256 ${hashes.get(want.path)?.slice(0, 12)}…, not ${want.sha256?.slice(0, 12)}…)`,
      );
    else if (want.type !== 'symlink' && got.mode !== want.mode)
      mismatches.push(`${want.path}: mode ${got.mode.toString(8)}, not ${want.mode.toString(8)}`);
  }
  return { mismatches: mismatches.slice(0, 50), mismatchCount: mismatches.length };
}

/** Every file, directory and symlink under `root`, with GNU find's exact fields (NUL-separated). */
async function listWorkspace(session: SshSession, root: string): Promise<ManifestEntry[]> {
  const out = await session.run(
    `cd ${shellQuote(root)} && find . -mindepth 1 \\( -type f -o -type d -o -type l \\) -printf '%y\\0%m\\0%s\\0%T@\\0%P\\0%l\\0'`,
    '',
    LIST_TIMEOUT_MS,
  );
  const fields = out.toString('utf8').split('\0');
  const entries: ManifestEntry[] = [];
  for (let i = 0; i + 5 < fields.length; i += 6) {
    const [kind, mode, size, mtime, path, target] = fields.slice(i, i + 6) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const type = kind === 'f' ? 'file' : kind === 'd' ? 'dir' : 'symlink';
    entries.push({
      path,
      type,
      mode: Number.parseInt(mode, 8),
      size: type === 'file' ? Number(size) : 0,
      mtime: Number(mtime),
      ...(type === 'symlink' && { target }),
    });
  }
  return entries;
}

/** SHA-256 of each file, computed on the instance (only the hashes cross the network). */
async function hashFiles(
  session: SshSession,
  root: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  await streamHashes(session, root, paths, async (path, sha256) => {
    hashes.set(path, sha256);
  });
  return hashes;
}

/** Hashes the files on the instance, handing each SHA-256 to `onHash` as it arrives, in order. */
async function streamHashes(
  session: SshSession,
  root: string,
  paths: readonly string[],
  onHash: (path: string, sha256: string) => Promise<void>,
): Promise<void> {
  if (paths.length === 0) return;
  const command = await session.stream(
    `cd ${shellQuote(root)} && xargs -0 -r sha256sum -z --`,
    TRANSFER_TIMEOUT_MS,
  );
  command.stdin.end(Buffer.from(`${paths.join('\0')}\0`));
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const take = async (record: string) => {
    const match = /^\\?([0-9a-f]{64}) [ *](.*)$/s.exec(record);
    if (match) await onHash(match[2]!, match[1]!);
  };
  for await (const chunk of command.stdout as AsyncIterable<Buffer>) {
    pending += decoder.write(chunk);
    const records = pending.split('\0');
    pending = records.pop()!;
    for (const record of records) await take(record);
  }
  pending += decoder.end();
  if (pending !== '') await take(pending);
  const { code, stderr } = await command.done;
  if (code !== 0) {
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `Hashing the workspace on the instance failed (exit ${code}): ${stderr || 'no message'}`,
      { retryable: true },
    );
  }
}

/**
 * Streams the files' content off the instance as one tar and stores each under its hash. What
 * arrives is hashed again: a file that changed after it was listed is stored under (and recorded
 * with) the hash of what was actually read, never under a hash it does not have.
 */
async function uploadFiles(
  session: SshSession,
  store: ObjectStore,
  root: string,
  entries: ManifestEntry[],
  staging: string,
  feed: (send: (path: string) => void) => Promise<void>,
): Promise<{ files: number; bytes: number }> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  // tar reads the names as they come, so files are streamed while later ones are still hashed.
  const command = await session.stream(
    `cd ${shellQuote(root)} && tar -cf - --null --no-recursion -T -`,
    TRANSFER_TIMEOUT_MS,
  );
  const feeding = feed((path) => {
    command.stdin.write(`${path}\0`);
  }).finally(() => command.stdin.end());
  const extract = tar.extract();
  let bytes = 0;
  let count = 0;
  // Each file's storing finishes in the background while the next one streams in (a multipart
  // upload's completion can take as long as a part), so the SSH link never waits on storage;
  // a few at a time bound the memory held.
  const storing = new Set<Promise<void>>();
  let failure: unknown;
  const storeInBackground = (work: Promise<void>) => {
    const settled: Promise<void> = work
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => storing.delete(settled));
    storing.add(settled);
  };
  // The file being read, settled once its part is done: a failure there explains the stream's end.
  let reading: Promise<void> = Promise.resolve();
  extract.on('entry', (header, stream, next) => {
    reading = (async () => {
      const entry = byPath.get(header.name.replace(/^\.\//, ''));
      const size = header.size ?? 0;
      if (!entry || header.type !== 'file') {
        stream.resume();
        return;
      }
      while (storing.size >= FILES_STORING_AT_ONCE) await Promise.race(storing);
      if (failure) throw failure;
      const hash = createHash('sha256');
      /** Records the file's content hash; counts it as uploaded when the store did not hold it yet. */
      const stored = (sha: string, uploaded: boolean) => {
        entry.sha256 = sha;
        entry.size = size;
        if (!uploaded) return;
        bytes += size;
        count++;
      };
      if (size <= IN_MEMORY_BYTES) {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) {
          chunks.push(chunk as Buffer);
          hash.update(chunk as Buffer);
        }
        const sha = hash.digest('hex');
        storeInBackground(
          (async () => {
            const held = await store.exists(blobKey(sha));
            if (!held) await store.put(blobKey(sha), Buffer.concat(chunks));
            stored(sha, !held);
          })(),
        );
      } else {
        // Stored straight under the hash taken on the instance, and checked as it streams: a file
        // that changed since it was hashed is moved to the key of what was actually read. One
        // sent before it was hashed goes to a staging key and is moved once its hash is known.
        const expected = entry.sha256;
        const key = expected ? blobKey(expected) : `${staging}${randomUUID()}`;
        const tee = new PassThrough();
        stream.on('data', (chunk: unknown) => hash.update(chunk as Buffer));
        stream.pipe(tee);
        const upload = store.put(key, tee);
        // Until the file is read to its end, a failed upload must stop the stream, not wait on it.
        const read = once(stream, 'end').then(() => undefined);
        read.catch(() => undefined);
        try {
          await Promise.race([read, upload.then(() => read)]);
        } catch (err) {
          // The upload gave up and stopped reading the file: its own error says why.
          if ((err as Error).name === 'AbortError') await upload;
          // The file came apart: the upload is cancelled, so no half-written object is left open.
          tee.destroy(err as Error);
          await upload.catch(() => undefined);
          throw err;
        }
        const sha = hash.digest('hex');
        storeInBackground(
          (async () => {
            await upload;
            let held = false;
            if (sha !== expected) {
              held = !expected && (await store.exists(blobKey(sha)));
              if (!held) await store.copy(key, blobKey(sha));
              await store.delete([key]);
            }
            stored(sha, !held);
          })(),
        );
      }
    })().then(
      () => next(),
      (err: unknown) => {
        // The storage's own errors are typed; anything else here is the stream coming apart.
        if (err instanceof GpuopsError) failure ??= err;
        next(err as Error);
      },
    );
  });
  try {
    await Promise.all([feeding, pipeline(command.stdout as Readable, extract)]);
  } catch (err) {
    // What stopped the stream (the storage refusing a file) says more than how the stream ended.
    await reading;
    await Promise.all(storing);
    if (failure) throw failure;
    if (err instanceof GpuopsError) throw err;
    // The archive ended early or came apart: the connection dropped, or tar died on the instance.
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `Reading the workspace on the instance stopped partway (${err instanceof Error ? err.message : String(err)}); the connection may have dropped. Nothing was recorded; try again.`,
      { retryable: true, cause: err },
    );
  } finally {
    await Promise.all(storing);
  }
  if (failure) throw failure;
  const { code, stderr } = await command.done;
  if (code !== 0) {
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `Reading the workspace on the instance failed (exit ${code}): ${stderr}`,
      {
        retryable: true,
      },
    );
  }
  return { files: count, bytes };
}

/** A word for /bin/sh, whatever it contains. */
