import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob } from '../../../db/repositories/jobs.ts';
import {
  completeSnapshot,
  getSnapshot,
  markSnapshotDeleted,
  startSnapshotRow,
} from '../../../db/repositories/snapshots.ts';
import { downloadArtifacts, jobOutputSnapshotId } from '../../../src/cloud/jobs/job-artifacts.ts';
import { blobKey, type Manifest, manifestKey } from '../../../src/cloud/snapshot/manifest.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../../src/cloud/storage/object-store.ts';
import { jobSpecSchema } from '../../../src/domain/jobs.ts';
import { purgeDeletedSnapshots } from '../../../src/jobs/operations/snapshot-purge.ts';
import type { WorkerServices } from '../../../src/jobs/queue/job-context.ts';
import { silentLogger } from '../../../src/log.ts';
import { openTestDatabase, type TestDatabase } from '../../support/index.ts';

const sha256 = (content: string) => createHash('sha256').update(content).digest('hex');

/** Stores `files` as snapshot `id`: content under its hash, then the manifest, as a sync does. */
async function keep(store: ObjectStore, id: string, files: Record<string, string>): Promise<void> {
  const manifest: Manifest = { version: 1, createdAt: new Date().toISOString(), entries: [] };
  for (const [file, content] of Object.entries(files)) {
    await store.put(blobKey(sha256(content)), Buffer.from(content));
    manifest.entries.push({
      path: file,
      type: 'file',
      mode: 0o644,
      size: content.length,
      mtime: 1_700_000_000,
      sha256: sha256(content),
    });
  }
  await store.put(manifestKey(id), Buffer.from(JSON.stringify(manifest)), 'application/json');
}

describe('the snapshot storage clean-up', () => {
  let t: TestDatabase;
  let s3: LocalS3;
  let root: string;
  let store: ObjectStore;

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    root = await mkdtemp(path.join(tmpdir(), 'gpuops-purge-jobs-'));
    s3 = await startLocalS3(path.join(root, 's3'), 'purge-jobs');
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'purge-jobs',
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
  }, 60_000);

  afterAll(async () => {
    store?.close();
    await s3?.close();
    await t?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("keeps every job's artifacts while it frees what only deleted snapshots used", async () => {
    const db = t.handle.db;
    const spec = jobSpecSchema.parse({
      command: 'python train.py',
      target: { kind: 'instance', instance_id: 1 },
    });
    const kept = await createJob(db, { owner: 'alice', channel: 'team-ml', spec });
    // A job that never synced any output: no manifest, and that is no reason to stop.
    await createJob(db, { owner: 'bob', channel: 'team-ml', spec });

    // The job's checkpoint is also in a snapshot that is then deleted: only the job holds it after.
    await keep(store, jobOutputSnapshotId(kept.id), {
      'model.bin': 'fine-tuned weights',
      'ckpt/step-100.pt': 'checkpoint 100',
    });
    const row = await startSnapshotRow(db, {
      operationId: 'op-purge-jobs-1',
      instanceId: 3,
      name: null,
      channel: 'team-ml',
      requester: 'alice',
    });
    await keep(store, `snap-${row.id}`, { 'ckpt/step-100.pt': 'checkpoint 100', 'scratch.txt': 'only here' });
    await completeSnapshot(db, row.id, { files: 2, bytes: 23, uploadedBytes: 23 });
    expect(await markSnapshotDeleted(db, row.id)).toBeDefined();

    const services = {
      db,
      log: silentLogger,
      snapshots: { store: async () => store, workspaceDir: '/workspace' },
    } as unknown as WorkerServices & { snapshots: NonNullable<WorkerServices['snapshots']> };
    const outcome = await purgeDeletedSnapshots(services);
    expect(outcome).toMatchObject({ state: 'done', purged: [`snap-${row.id}`] });
    expect((await getSnapshot(db, row.id))?.purged_at).not.toBeNull();

    // What only the deleted snapshot used is gone; the job's files are all still there.
    expect(await store.exists(blobKey(sha256('only here')))).toBe(false);
    expect(await store.exists(manifestKey(`snap-${row.id}`))).toBe(false);
    expect(await store.exists(blobKey(sha256('checkpoint 100')))).toBe(true);
    expect(await store.exists(blobKey(sha256('fine-tuned weights')))).toBe(true);

    const out = path.join(root, 'artifacts');
    expect(await downloadArtifacts(store, kept.id, out)).toEqual({ files: 2, bytes: 32 });
    expect(await readFile(path.join(out, 'model.bin'), 'utf8')).toBe('fine-tuned weights');
    expect(await readFile(path.join(out, 'ckpt/step-100.pt'), 'utf8')).toBe('checkpoint 100');
  }, 60_000);
});
