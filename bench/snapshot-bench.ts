/**
 * Snapshots over SSH into the local S3-compatible server, against the simulator:
 * - throughput of a first snapshot of a workspace of `--mb` MB (a few large random files), as a
 *   ratio of streaming the same bytes over the same SSH connection to nothing (goal ≥ 0.9): from
 *   hosts whose SSH runs at their offer's uplink (the market's 25th and 50th percentiles), and
 *   unpaced, where the instance, gpuops and the storage all share this machine's cores;
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
import type { Simulator } from '../src/cloud/sim/index.ts';
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
} from '../tests/support/simulator.ts';
import { option } from './stats.ts';

const mb = option('mb', 1024);
// Two markets: one whose hosts send at their offers' uplinks (inet_up), as rented machines do,
// and one where SSH runs as fast as this machine can move it, sharing its two cores with the
// instance's tar and sha256sum and with the storage.
const paced = await startTestSimulator({ linkSpeeds: true });
const unpaced = await startTestSimulator();
const key = newKeyPair();
for (const sim of [paced, unpaced]) await vastApi(sim).registerKey(key.public);
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

/** A running instance on `sim`, on the cheapest offer matching `query`, and its uplink. */
async function rent(
  sim: Simulator,
  query: Record<string, unknown> = {},
): Promise<{ session: SshSession; inetUp: number }> {
  const api = vastApi(sim);
  const offer = await cheapestOffer(api, query);
  const created = await api.create(offer.id, {});
  const running = await waitForStatus(api, created.json.new_contract!, 'running');
  const session = await SshSession.open({
    host: running.ssh_host!,
    port: running.ssh_port!,
    privateKey: key.private,
  });
  return { session, inetUp: offer.inet_up };
}

/** The market's uplinks at a percentile, in Mbps. */
function uplinkPercentile(sim: Simulator, p: number): number {
  const ups = sim.market.machines.map((m) => m.listing.inet_up).sort((a, b) => a - b);
  return ups[Math.floor((ups.length - 1) * p)]!;
}

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const files = Math.max(1, Math.round(mb / 128));
const bytes = Math.round((mb * 1e6) / files) * files;

async function writeWorkspace(session: SshSession): Promise<void> {
  await session.run(
    `mkdir -p data && for i in $(seq 1 ${files}); do head -c ${Math.round((mb * 1e6) / files)} /dev/urandom > data/part$i.bin; done`,
    '',
    600_000,
  );
}

/** The same bytes, over the same connection, read and thrown away. */
async function streamToNothing(session: SshSession): Promise<number> {
  const started = performance.now();
  const raw = await session.stream('tar -cf - data', 3_600_000);
  raw.stdin.end();
  raw.stdout.resume();
  await raw.done;
  return performance.now() - started;
}

/** A first snapshot of the workspace against streaming it to nothing, with the time per step. */
async function firstSnapshot(session: SshSession, snapshotId: string) {
  const rawMs = await streamToNothing(session);
  const stepAt: number[] = [];
  const report = await snapshotWorkspace({
    session,
    store,
    root: '.',
    snapshotId,
    onStep: async () => {
      stepAt.push(performance.now());
    },
  });
  const ended = performance.now();
  const [listing, uploading, saving] = stepAt as [number, number, number];
  return {
    report,
    rawMs,
    ratio: rawMs / report.ms,
    listingMs: uploading - listing,
    uploadingMs: saving - uploading,
    manifestMs: ended - saving,
  };
}

const hosts: Array<{ session: SshSession }> = [];
try {
  console.log(`workspace: ${files} random files, ${(bytes / 1e6).toFixed(0)} MB`);
  for (const p of [0.25, 0.5]) {
    const uplink = uplinkPercentile(paced, p);
    const host = await rent(paced, { inet_up: { gte: uplink * 0.9, lte: uplink * 1.1 } });
    hosts.push(host);
    await writeWorkspace(host.session);
    const run = await firstSnapshot(host.session, `bench-paced-${p}`);
    console.log(
      `first snapshot from a host at the market's ${p * 100}th-percentile uplink (${host.inetUp} Mbps): ${(run.report.ms / 1000).toFixed(1)} s, ${mbps(bytes, run.report.ms)} MB/s; streaming it over SSH to nothing: ${(run.rawMs / 1000).toFixed(1)} s (${mbps(bytes, run.rawMs)} MB/s); ratio ${run.ratio.toFixed(2)} (goal ≥ 0.9)`,
    );
  }

  const source = await rent(unpaced);
  const target = await rent(unpaced);
  hosts.push(source, target);
  await writeWorkspace(source.session);

  // The storage's own floor: the same number of bytes stored from memory, no SSH at all.
  const chunk = Buffer.alloc(1 << 20, 7);
  let sentChunks = 0;
  const chunks = Math.ceil(bytes / chunk.length);
  let started = performance.now();
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

  const first = await firstSnapshot(source.session, 'bench-1');
  console.log(
    `first snapshot, SSH unpaced (instance, gpuops and storage share this machine's cores): ${(first.report.ms / 1000).toFixed(1)} s, ${mbps(first.report.uploadedBytes, first.report.ms)} MB/s; to nothing: ${(first.rawMs / 1000).toFixed(1)} s (${mbps(bytes, first.rawMs)} MB/s); ratio ${first.ratio.toFixed(2)}`,
  );
  console.log(
    `  the storage alone (the same bytes PUT from memory): ${(storeMs / 1000).toFixed(1)} s (${mbps(bytes, storeMs)} MB/s); ratio to the slower of the two floors ${(Math.max(first.rawMs, storeMs) / first.report.ms).toFixed(2)}`,
  );
  console.log(
    `  of which listing on the instance ${(first.listingMs / 1000).toFixed(1)} s, hashing, streaming and storing (overlapped) ${(first.uploadingMs / 1000).toFixed(1)} s, the manifest ${(first.manifestMs / 1000).toFixed(2)} s`,
  );
  const second = await snapshotWorkspace({
    session: source.session,
    store,
    root: '.',
    snapshotId: 'bench-2',
    previous: first.report.manifest,
  });
  console.log(
    `second, unchanged snapshot: ${second.ms} ms, ${second.uploadedBytes} bytes uploaded, ${second.hashedFiles} files read`,
  );
  started = performance.now();
  const restored = await restoreWorkspace({
    session: target.session,
    store,
    root: 'restored',
    manifest: first.report.manifest,
  });
  console.log(
    `restore onto another instance, verified: ${(restored.ms / 1000).toFixed(1)} s, ${mbps(restored.bytes, restored.ms)} MB/s, mismatches ${restored.mismatchCount}`,
  );
} finally {
  for (const host of hosts) host.session.close();
  store.close();
  await s3.close();
  await paced.close();
  await unpaced.close();
  await rm(dir, { recursive: true, force: true });
}
