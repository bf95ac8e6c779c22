import { ErrorCode, GpuopsError } from '../../errors.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import type { SshSession } from '../ssh/ssh-session.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { type Manifest, type ManifestEntry, manifestTotals } from './manifest.ts';
import { type RestoreReport, restoreWorkspace, verifyWorkspace } from './workspace-snapshot.ts';

const SHELL_TIMEOUT_MS = 10 * 60_000;

export interface MirrorReport extends RestoreReport {
  /** True when the copy started from what the host held and only what differed was streamed. */
  incremental: boolean;
  /** Files and bytes that crossed the network. */
  streamedFiles: number;
  streamedBytes: number;
}

/**
 * Makes `root` on a host hold exactly the snapshot `manifest`, as a mirror kept up to date (a
 * standby VM): the new copy is built in `<root>.next`, checked entry by entry against the whole
 * manifest (anything not in it removed), and only then swapped in, so `root` always holds one
 * whole, verified snapshot. With `previous` (the manifest `root` holds now), the new copy starts as
 * a local copy of `root` and only entries that differ are streamed from storage; if that copy does
 * not check out (the folder was changed on the host), it is made again from nothing.
 */
export async function mirrorSnapshot(options: {
  session: SshSession;
  store: ObjectStore;
  root: string;
  manifest: Manifest;
  previous?: Manifest | undefined;
  /** Told as each step starts: 0 streaming, 1 verifying. */
  onStep?: (step: number, detail?: string) => Promise<void>;
}): Promise<MirrorReport> {
  const started = performance.now();
  const { session, root, manifest } = options;
  const next = `${root}.next`;
  const step = options.onStep ?? (async () => {});
  let previous = options.previous;
  for (;;) {
    await session.run(
      previous
        ? `rm -rf ${shellQuote(next)} && if [ -d ${shellQuote(root)} ]; then cp -a ${shellQuote(root)} ${shellQuote(next)}; else mkdir -p ${shellQuote(next)}; fi`
        : `rm -rf ${shellQuote(next)} && mkdir -p ${shellQuote(next)}`,
      '',
      SHELL_TIMEOUT_MS,
    );
    const { delta, removed } = previous
      ? changesBetween(previous, manifest)
      : { delta: manifest.entries, removed: [] };
    await removePaths(session, next, removed);
    const streamed = manifestTotals({ ...manifest, entries: delta });
    await step(0, `${streamed.files} of ${manifestTotals(manifest).files} files to copy`);
    await restoreWorkspace({
      session,
      store: options.store,
      root: next,
      manifest: { ...manifest, entries: delta },
    });
    await removeExtras(session, next, manifest);
    await step(1);
    const verified = await verifyWorkspace(session, next, manifest);
    if (verified.mismatchCount > 0 && previous) {
      // What the host held was not `previous` after all: build the copy from nothing instead.
      previous = undefined;
      continue;
    }
    if (verified.mismatchCount > 0) {
      throw new GpuopsError(
        ErrorCode.SnapshotMismatch,
        `The copy of the snapshot does not match it in ${verified.mismatchCount} entries: ${verified.mismatches.slice(0, 3).join('; ')}. The previous copy stays in place.`,
        { retryable: true, details: { mismatches: verified.mismatches } },
      );
    }
    const old = `${root}.old`;
    await session.run(
      `rm -rf ${shellQuote(old)} && { if [ -e ${shellQuote(root)} ]; then mv ${shellQuote(root)} ${shellQuote(old)}; fi; } && mv ${shellQuote(next)} ${shellQuote(root)} && rm -rf ${shellQuote(old)}`,
      '',
      SHELL_TIMEOUT_MS,
    );
    const totals = manifestTotals(manifest);
    return {
      files: totals.files,
      bytes: totals.bytes,
      ...verified,
      incremental: previous !== undefined,
      streamedFiles: streamed.files,
      streamedBytes: streamed.bytes,
      ms: Math.round(performance.now() - started),
    };
  }
}

/** Entries of `next` that `previous` does not hold as they are, and paths to remove first. */
function changesBetween(previous: Manifest, next: Manifest): { delta: ManifestEntry[]; removed: string[] } {
  const before = new Map(previous.entries.map((e) => [e.path, e]));
  const after = new Set(next.entries.map((e) => e.path));
  const removed: string[] = [];
  for (const entry of previous.entries) if (!after.has(entry.path)) removed.push(entry.path);
  const delta: ManifestEntry[] = [];
  for (const entry of next.entries) {
    const old = before.get(entry.path);
    if (old && old.type !== entry.type) removed.push(entry.path);
    const same =
      old !== undefined &&
      old.type === entry.type &&
      old.mode === entry.mode &&
      old.target === entry.target &&
      (entry.type !== 'file' || (old.sha256 === entry.sha256 && old.size === entry.size));
    if (!same) delta.push(entry);
  }
  return { delta, removed };
}

/** Removes what is under `root` but not in the manifest (left by an earlier copy, or made on the host). */
async function removeExtras(session: SshSession, root: string, manifest: Manifest): Promise<void> {
  const listed = await session.run(
    `cd ${shellQuote(root)} && find . -mindepth 1 -printf '%P\\0'`,
    '',
    SHELL_TIMEOUT_MS,
  );
  const wanted = new Set(manifest.entries.map((e) => e.path));
  const extras = listed
    .toString('utf8')
    .split('\0')
    .filter((p) => p !== '' && !wanted.has(p));
  await removePaths(session, root, extras);
}

async function removePaths(session: SshSession, root: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await session.run(
    `cd ${shellQuote(root)} && xargs -0 -r rm -rf --`,
    Buffer.from(`${paths.join('\0')}\0`),
    SHELL_TIMEOUT_MS,
  );
}

/** A word for /bin/sh, whatever it contains. */
