import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey, type Manifest } from '../../../src/cloud/snapshot/manifest.ts';
import { restoreWorkspace, snapshotWorkspace } from '../../../src/cloud/snapshot/workspace-snapshot.ts';
import { SshSession } from '../../../src/cloud/ssh/ssh-session.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../../src/cloud/storage/object-store.ts';
import { cheapestOffer, newKeyPair, useSimulator, waitForStatus } from '../../support/simulator.ts';

/** A workspace with what trips snapshot tools up: many files, a big one, odd names, links, modes. */
const TRICKY_WORKSPACE = [
  'mkdir -p data/small "with space" "naïve ☃" empty/nested',
  'for i in $(seq 1 200); do echo "file $i" > data/small/f$i.txt; done',
  'head -c 12000000 /dev/urandom > data/big.bin',
  ': > data/empty.txt',
  'echo spaced > "with space/a file.txt"',
  'echo snow > "naïve ☃/ünïcödé.txt"',
  'ln -s data/big.bin link-to-big',
  'ln -s does-not-exist dangling',
  'echo "#!/bin/sh" > run.sh && chmod 755 run.sh',
  'echo secret > key.pem && chmod 600 key.pem',
].join(' && ');

describe('workspace snapshots over SSH into S3-compatible storage', () => {
  const { api } = useSimulator();
  let s3: LocalS3;
  let store: ObjectStore;
  let s3Dir: string;
  const key = newKeyPair();
  const sessions: SshSession[] = [];

  async function rentRunning(): Promise<SshSession> {
    const offer = await cheapestOffer(api, {});
    const created = await api.create(offer.id, {});
    const running = await waitForStatus(api, created.json.new_contract!, 'running');
    const session = await SshSession.open({
      host: running.ssh_host!,
      port: running.ssh_port!,
      privateKey: key.private,
    });
    sessions.push(session);
    return session;
  }

  beforeAll(async () => {
    await api.registerKey(key.public);
    s3Dir = await mkdtemp(path.join(tmpdir(), 'gpuops-s3-'));
    s3 = await startLocalS3(s3Dir, 'snapshots');
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'snapshots',
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
  });
  afterAll(async () => {
    for (const session of sessions) session.close();
    store?.close();
    await s3?.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  let first: Manifest;

  it('stores every file, directory, link and mode, and restores them onto another instance, verified', async () => {
    const source = await rentRunning();
    await source.run(TRICKY_WORKSPACE);
    const report = await snapshotWorkspace({ session: source, store, root: '.', snapshotId: 'snap-1' });
    first = report.manifest;
    expect(report.files).toBeGreaterThanOrEqual(206);
    expect(report.bytes).toBeGreaterThan(12_000_000);
    // Everything is new to the store, except content that appears twice in the workspace.
    expect(report.uploadedBytes).toBeGreaterThan(12_000_000);
    const byPath = new Map(first.entries.map((e) => [e.path, e]));
    expect(byPath.get('empty/nested')).toMatchObject({ type: 'dir' });
    expect(byPath.get('link-to-big')).toMatchObject({ type: 'symlink', target: 'data/big.bin' });
    expect(byPath.get('dangling')).toMatchObject({ type: 'symlink', target: 'does-not-exist' });
    expect(byPath.get('key.pem')).toMatchObject({ type: 'file', mode: 0o600 });
    expect(byPath.get('run.sh')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byPath.get('naïve ☃/ünïcödé.txt')).toMatchObject({ type: 'file', size: 5 });
    expect(byPath.get('data/empty.txt')).toMatchObject({ type: 'file', size: 0 });

    const target = await rentRunning();
    const restored = await restoreWorkspace({ session: target, store, root: 'restored', manifest: first });
    expect(restored).toMatchObject({
      files: report.files,
      bytes: report.bytes,
      mismatchCount: 0,
      mismatches: [],
    });
    const [before, after] = await Promise.all([
      source.run('sha256sum data/big.bin "naïve ☃/ünïcödé.txt" && stat -c %a key.pem'),
      target.run('cd restored && sha256sum data/big.bin "naïve ☃/ünïcödé.txt" && stat -c %a key.pem'),
    ]);
    expect(after.toString()).toBe(before.toString());
  }, 120_000);

  it('uploads nothing for an unchanged workspace, and only what changed after an edit', async () => {
    const source = sessions[0]!;
    const again = await snapshotWorkspace({
      session: source,
      store,
      root: '.',
      snapshotId: 'snap-2',
      previous: first,
    });
    expect(again).toMatchObject({ uploadedFiles: 0, uploadedBytes: 0, hashedFiles: 0 });
    await source.run('echo changed >> data/small/f7.txt && echo new > data/new.txt');
    const edited = await snapshotWorkspace({
      session: source,
      store,
      root: '.',
      snapshotId: 'snap-3',
      previous: again.manifest,
    });
    expect(edited).toMatchObject({ uploadedFiles: 2, hashedFiles: 2 });
    expect(edited.uploadedBytes).toBeLessThan(100);
  }, 60_000);

  it('streams a large file before the instance has hashed it, stores it under its hash, and leaves nothing staged', async () => {
    const source = await rentRunning();
    // One large file: the first (and only) to hash, so it goes out at once and is moved into place.
    await source.run('mkdir -p solo && head -c 20000000 /dev/urandom > solo/weights.bin');
    const want = (await source.run('sha256sum solo/weights.bin')).toString().split(' ')[0]!;
    const report = await snapshotWorkspace({ session: source, store, root: 'solo', snapshotId: 'snap-solo' });
    expect(report.manifest.entries).toEqual([expect.objectContaining({ path: 'weights.bin', sha256: want })]);
    expect(report).toMatchObject({ uploadedFiles: 1, uploadedBytes: 20_000_000, hashedFiles: 1 });
    expect(await store.exists(blobKey(want))).toBe(true);
    expect(await store.list('tmp/')).toEqual([]);

    // The same content again under another name: sent (its hash was not known before it went),
    // but stored once, and the staged copy goes.
    await source.run('mkdir -p twin && cp solo/weights.bin twin/copy.bin');
    const twin = await snapshotWorkspace({ session: source, store, root: 'twin', snapshotId: 'snap-twin' });
    expect(twin.manifest.entries).toEqual([expect.objectContaining({ path: 'copy.bin', sha256: want })]);
    expect(twin).toMatchObject({ uploadedFiles: 0, uploadedBytes: 0 });
    expect(await store.list('tmp/')).toEqual([]);
    const restored = await restoreWorkspace({
      session: source,
      store,
      root: 'twin-back',
      manifest: twin.manifest,
    });
    expect(restored.mismatchCount).toBe(0);
  }, 60_000);

  it('leaves no manifest when SSH drops mid-snapshot or the storage refuses, so nothing half-done is listed', async () => {
    const source = await rentRunning();
    await source.run('head -c 60000000 /dev/urandom > huge.bin');
    const dropping = snapshotWorkspace({ session: source, store, root: '.', snapshotId: 'snap-dropped' });
    setTimeout(() => source.close(), 300);
    await expect(dropping).rejects.toMatchObject({ code: 'ssh_failed' });
    expect(await store.exists('snapshots/snap-dropped/manifest.json')).toBe(false);

    const refusing = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'snapshots',
      forcePathStyle: true,
      accessKeyId: 'WRONG',
      secretAccessKey: 'WRONG',
    });
    try {
      await expect(
        snapshotWorkspace({ session: sessions[0]!, store: refusing, root: '.', snapshotId: 'snap-refused' }),
      ).rejects.toMatchObject({ code: 'storage_failed', message: expect.stringContaining('storage keys') });
    } finally {
      refusing.close();
    }
    expect(await store.exists('snapshots/snap-refused/manifest.json')).toBe(false);
  }, 60_000);

  it('reports a corrupted stored object as a mismatch, never as success', async () => {
    const big = first.entries.find((e) => e.path === 'data/big.bin')!;
    const small = first.entries.find((e) => e.path === 'data/small/f1.txt')!;
    await store.put(blobKey(small.sha256!), Buffer.from('file 1\n'.replace('1', 'X')));
    const target = sessions[1]!;
    const restored = await restoreWorkspace({
      session: target,
      store,
      root: 'restored-again',
      manifest: first,
    });
    expect(restored.mismatchCount).toBeGreaterThanOrEqual(1);
    expect(restored.mismatches.join('\n')).toContain('data/small/f1.txt: content differs');
    expect(restored.mismatches.join('\n')).not.toContain(big.path);
  }, 60_000);
});
