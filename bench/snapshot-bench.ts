/**
 * Snapshots over SSH into the local S3-compatible server, against the simulator:
 * - throughput of a first snapshot of a workspace of `--mb` MB (a few large random files), as a
 *   ratio of streaming the same bytes over the same SSH connection to nothing (goal ≥ 0.9);
 * - a second, unchanged snapshot: time and bytes uploaded;
 * - restore throughput onto another instance, verification included.
 *
 *   npx tsx bench/snapshot-bench.ts [--mb 1024]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { restoreWorkspace, snapshotWorkspace } from '../src/cloud/snapshot/workspace-snapshot.ts';
import { SshSession } from '../src/cloud/ssh/ssh-session.ts';
import { LOCAL_S3_CREDENTIALS } from '../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../src/cloud/storage/object-store.ts';
import {
  cheapestOffer,
  newKeyPair,
  startTestSimulator,
  vastApi,
  waitForStatus,
} from '../tests/sim/sim-test-kit.ts';
import { option } from './stats.ts';

const mb = option('mb', 1024);
const sim = await startTestSimulator();
const api = vastApi(sim);
const key = newKeyPair();
await api.registerKey(key.public);
const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-snapshot-bench-'));
// The storage runs in a process of its own, as MinIO or S3 would: what is measured is gpuops's path.
const s3 = await startS3Process(dir);
const store = new ObjectStore({
  endpoint: s3.endpoint,
  region: 'us-east-1',
  bucket: 'snapshots',
  forcePathStyle: true,
  ...LOCAL_S3_CREDENTIALS,
});

async function startS3Process(directory: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { startLocalS3 } = await import(${JSON.stringify(new URL('../src/cloud/storage/local-s3.ts', import.meta.url).pathname)}); const s3 = await startLocalS3(${JSON.stringify(directory)}, 'snapshots'); console.log(s3.endpoint);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    endpoint: line.toString().trim(),
    async close() {
      child.kill();
      await once(child, 'exit');
    },
  };
}

async function rent(): Promise<SshSession> {
  const offer = await cheapestOffer(api, {});
  const created = await api.create(offer.id, {});
  const running = await waitForStatus(api, created.json.new_contract!, 'running');
  return SshSession.open({ host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private });
}

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const source = await rent();
const target = await rent();
try {
  const files = Math.max(1, Math.round(mb / 128));
  await source.run(
    `mkdir -p data && for i in $(seq 1 ${files}); do head -c ${Math.round((mb * 1e6) / files)} /dev/urandom > data/part$i.bin; done`,
    '',
    600_000,
  );
  const bytes = Math.round((mb * 1e6) / files) * files;

  // The floor: the same bytes, over the same connection, read and thrown away.
  let started = performance.now();
  const raw = await source.stream('tar -cf - data', 3_600_000);
  raw.stdin.end();
  raw.stdout.resume();
  await raw.done;
  const rawMs = performance.now() - started;

  // The storage's own floor: the same number of bytes stored from memory, no SSH at all.
  const chunk = Buffer.alloc(1 << 20, 7);
  let sentChunks = 0;
  const chunks = Math.ceil(bytes / chunk.length);
  started = performance.now();
  await store.put(
    'bench/raw',
    new Readable({
      read() {
        this.push(sentChunks++ < chunks ? chunk : null);
      },
    }),
  );
  const storeMs = performance.now() - started;
  await store.delete(['bench/raw']);

  const stepAt: number[] = [];
  const first = await snapshotWorkspace({
    session: source,
    store,
    root: '.',
    snapshotId: 'bench-1',
    onStep: async () => {
      stepAt.push(performance.now());
    },
  });
  const ended = performance.now();
  const [listing, uploading, saving] = stepAt as [number, number, number];
  console.log(
    `first snapshot of ${(bytes / 1e6).toFixed(0)} MB: ${(first.ms / 1000).toFixed(1)} s, ${mbps(first.uploadedBytes, first.ms)} MB/s; streaming it over SSH to nothing: ${(rawMs / 1000).toFixed(1)} s (${mbps(bytes, rawMs)} MB/s); ratio ${(rawMs / first.ms).toFixed(2)} (goal ≥ 0.9)`,
  );
  console.log(
    `  the storage alone (the same bytes PUT from memory): ${(storeMs / 1000).toFixed(1)} s (${mbps(bytes, storeMs)} MB/s); ratio to the slower of the two floors ${(Math.max(rawMs, storeMs) / first.ms).toFixed(2)}`,
  );
  console.log(
    `  of which listing on the instance ${((uploading - listing) / 1000).toFixed(1)} s, hashing, streaming and storing (overlapped) ${((saving - uploading) / 1000).toFixed(1)} s, the manifest ${((ended - saving) / 1000).toFixed(2)} s`,
  );
  const second = await snapshotWorkspace({
    session: source,
    store,
    root: '.',
    snapshotId: 'bench-2',
    previous: first.manifest,
  });
  console.log(
    `second, unchanged snapshot: ${second.ms} ms, ${second.uploadedBytes} bytes uploaded, ${second.hashedFiles} files read`,
  );
  started = performance.now();
  const restored = await restoreWorkspace({
    session: target,
    store,
    root: 'restored',
    manifest: first.manifest,
  });
  console.log(
    `restore onto another instance, verified: ${(restored.ms / 1000).toFixed(1)} s, ${mbps(restored.bytes, restored.ms)} MB/s, mismatches ${restored.mismatchCount}`,
  );
} finally {
  source.close();
  target.close();
  store.close();
  await s3.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
