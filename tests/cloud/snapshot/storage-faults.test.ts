import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey, manifestKey } from '../../../src/cloud/snapshot/manifest.ts';
import { restoreWorkspace, snapshotWorkspace } from '../../../src/cloud/snapshot/workspace-snapshot.ts';
import { SshSession } from '../../../src/cloud/ssh/ssh-session.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../../src/cloud/storage/object-store.ts';
import { cheapestOffer, newKeyPair, useSimulator, waitForStatus } from '../../support/simulator.ts';

/** Bytes a connection may carry from the client before an armed proxy cuts it: only a large upload gets there. */
const CUT_AFTER_BYTES = 4_000_000;

/**
 * A TCP proxy in front of the storage that can cut connections partway through an upload, as a
 * flaky network or an overloaded S3-compatible server does.
 */
async function startCuttingProxy(
  target: URL,
): Promise<{ endpoint: string; cuts: number; arm(n: number): void; close(): Promise<void> }> {
  let armed = 0;
  const state = { cuts: 0 };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    let carried = 0;
    client.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      if (armed > 0 && carried > CUT_AFTER_BYTES) {
        armed--;
        state.cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get cuts() {
      return state.cuts;
    },
    arm(n: number) {
      armed = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}

describe('snapshots when the storage drops uploads', () => {
  const { api } = useSimulator();
  let s3: LocalS3;
  let s3Dir: string;
  let proxy: Awaited<ReturnType<typeof startCuttingProxy>>;
  let store: ObjectStore;
  let session: SshSession;

  beforeAll(async () => {
    const key = newKeyPair();
    await api.registerKey(key.public);
    s3Dir = await mkdtemp(path.join(tmpdir(), 'gpuops-s3-faults-'));
    s3 = await startLocalS3(s3Dir, 'snapshots');
    proxy = await startCuttingProxy(new URL(s3.endpoint));
    store = new ObjectStore({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      bucket: 'snapshots',
      forcePathStyle: true,
      timeoutMs: 10_000,
      ...LOCAL_S3_CREDENTIALS,
    });
    const offer = await cheapestOffer(api, {});
    const created = await api.create(offer.id, {});
    const running = await waitForStatus(api, created.json.new_contract!, 'running');
    session = await SshSession.open({
      host: running.ssh_host!,
      port: running.ssh_port!,
      privateKey: key.private,
    });
    await session.run(
      'mkdir -p ws/small && head -c 30000000 /dev/urandom > ws/big.bin && for i in $(seq 1 20); do echo "f $i" > ws/small/$i.txt; done',
    );
  }, 60_000);
  afterAll(async () => {
    session?.close();
    store?.close();
    await proxy?.close();
    await s3?.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  it('carries on through an upload cut partway (the part is sent again) and the snapshot restores verified', async () => {
    proxy.arm(1);
    const report = await snapshotWorkspace({ session, store, root: 'ws', snapshotId: 'snap-cut-once' });
    expect(proxy.cuts).toBe(1);
    expect(report.files).toBe(21);
    expect(report.bytes).toBeGreaterThan(30_000_000);
    expect(await store.exists(manifestKey('snap-cut-once'))).toBe(true);
    expect(await store.list('tmp/')).toEqual([]);
    const restored = await restoreWorkspace({ session, store, root: 'ws-back', manifest: report.manifest });
    expect(restored).toMatchObject({ mismatchCount: 0, files: 21 });
  }, 120_000);

  it('fails with a storage error, lists nothing and leaves nothing staged when every upload is cut', async () => {
    await session.run('head -c 30000000 /dev/urandom > ws/big.bin');
    proxy.arm(1_000);
    const cutsBefore = proxy.cuts;
    const failing = snapshotWorkspace({ session, store, root: 'ws', snapshotId: 'snap-cut-always' });
    await expect(failing).rejects.toMatchObject({ code: 'storage_failed' });
    // Retried with backoff, a few times, then given up.
    expect(proxy.cuts - cutsBefore).toBeGreaterThan(1);
    proxy.arm(0);
    expect(await store.exists(manifestKey('snap-cut-always'))).toBe(false);
    expect(await store.list('tmp/')).toEqual([]);
    const big = (await session.run('sha256sum ws/big.bin')).toString().split(' ')[0]!;
    expect(await store.exists(blobKey(big))).toBe(false);
  }, 120_000);
});
