import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { listNotices } from '../../db/repositories/notices.ts';
import { createOperation, finishOperation, getOperation } from '../../db/repositories/operations.ts';
import { getSnapshotPolicy, setScheduledOperation } from '../../db/repositories/snapshot-policies.ts';
import { getSnapshot } from '../../db/repositories/snapshots.ts';
import type { InstanceRow } from '../../db/schema.ts';
import { blobKey, type Manifest, manifestKey } from '../../src/cloud/snapshot/manifest.ts';
import type { ObjectStore } from '../../src/cloud/storage/object-store.ts';
import { loadConfig } from '../../src/config.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { snapshotInstance } from '../../src/jobs/operations/snapshot-jobs.ts';
import { purgeDeletedSnapshots } from '../../src/jobs/operations/snapshot-purge.ts';
import { applyRetention } from '../../src/jobs/operations/snapshot-retention.ts';
import type { JobContext, SnapshotServices, WorkerServices } from '../../src/jobs/queue/job-context.ts';
import { StorageLease } from '../../src/jobs/queue/storage-lease.ts';
import { runSnapshotSchedules, scheduledOperationId } from '../../src/jobs/upkeep/snapshot-maintenance.ts';
import { silentLogger } from '../../src/log.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

type Running = InstanceRow & { ssh_host: string; ssh_port: number };

describe('deleting, keeping and scheduling snapshots', () => {
  let g: TestGpuops;
  let services: WorkerServices & { snapshots: SnapshotServices };
  let store: ObjectStore;
  let a: number;
  let b: number;

  beforeAll(async () => {
    // The maintenance tick is driven by hand here, at chosen times.
    g = await startTestGpuops({ db: 'postgres', queue: 'postgres', env: { GPUOPS_SNAPSHOT_TICK_MS: '0' } });
    const { runtime } = g;
    services = {
      config: runtime.config,
      db: runtime.database.db,
      provider: runtime.provider,
      sshKey: runtime.sshKey,
      log: silentLogger,
      deploymentId: runtime.deploymentId,
      snapshots: runtime.snapshots!,
    };
    store = await runtime.snapshots!.store();
    [a, b] = await Promise.all([g.deploy('deploy a 4090'), g.deploy('deploy a 3090')]);
  }, 120_000);
  afterAll(async () => {
    await g?.close();
  });
  afterEach(() => {
    g.surface.clear();
  });

  async function snapshot(text: string): Promise<string> {
    const [final] = await Promise.all((await g.say(text)).jobs);
    expect(final, JSON.stringify(final)).toMatchObject({ state: 'succeeded', kind: 'snapshot' });
    return /^(snap-\d+)/.exec(final!.result!.summary)![1]!;
  }

  async function manifestOf(ref: string): Promise<Manifest> {
    return JSON.parse(await store.getText(manifestKey(ref))) as Manifest;
  }

  /** A job context for an operation of the test's own, whose step reports go to `onStep`. */
  async function jobContext(
    kind: 'snapshot' | 'restore',
    instance: number,
    onStep: (step: number) => Promise<void> = async () => {},
  ): Promise<JobContext> {
    const id = `op-test-${Math.random().toString(36).slice(2, 10)}`;
    const { operation } = await createOperation(services.db, {
      id,
      kind,
      args: JSON.stringify({}),
      requester: 'alice',
      channel: g.context.channel,
      reply_to: JSON.stringify(g.context.replyTo),
      state: 'running',
      instance_id: instance,
      step: null,
    });
    return { ...services, operation, report: (step) => onStep(step), setInstance: () => {} };
  }

  async function finish(ctx: JobContext): Promise<void> {
    await finishOperation(services.db, ctx.operation.id, { state: 'succeeded', result: {} });
  }

  async function running(instance: number): Promise<Running> {
    return (await getInstance(services.db, instance)) as Running;
  }

  it('keeps every remaining snapshot restorable when a snapshot races a delete and the clean-up', async () => {
    // Both workspaces hold the same checkpoint: stored once, under its hash, for both instances.
    const checkpoint = 'mkdir -p ckpt && seq 1 300000 > ckpt/shared.bin';
    await g.ssh(a, `${checkpoint} && echo only-a > a.txt`);
    await g.ssh(b, `${checkpoint} && echo only-b > b.txt`);
    const want = await g.ssh(b, 'sha256sum ckpt/shared.bin b.txt');

    const first = await snapshot(`snapshot i-${a}`);
    const shared = (await manifestOf(first)).entries.find((e) => e.path === 'ckpt/shared.bin')!.sha256!;
    const onlyA = (await manifestOf(first)).entries.find((e) => e.path === 'a.txt')!.sha256!;

    // B's snapshot has found the checkpoint stored and decided not to upload it when, right then,
    // A's snapshot is deleted and the clean-up tries to free what only A's snapshot used.
    let during: Awaited<ReturnType<typeof purgeDeletedSnapshots>> | undefined;
    const ctx = await jobContext('snapshot', b, async (step) => {
      if (step !== 1 || during) return;
      await g.say(`delete ${first}`, { confirm: false });
      expect((await getSnapshot(services.db, Number(first.slice(5))))!.state).toBe('complete');
      await g.say(`delete ${first}`, { confirm: true });
      const asked = g.surface.events.filter((e) => e.type === 'confirm').map((e) => e.question);
      expect(asked).toEqual([
        expect.stringMatching(new RegExp(`^Delete ${first} of i-${a} \\(2 files`)),
        expect.any(String),
      ]);
      expect(g.surface.posts('reply').join('\n')).toContain(`Deleted ${first}`);
      during = await purgeDeletedSnapshots(services);
    });
    const taken = await snapshotInstance(ctx, await running(b), { name: 'racing' });
    await finish(ctx);
    expect(Number(taken.uploaded_bytes)).toBeLessThan(1_000);
    expect(await store.exists(blobKey(shared))).toBe(true);

    // Once the snapshot is done, the clean-up frees what only the deleted snapshot used, and no more.
    const after = await purgeDeletedSnapshots(services);
    expect(after).toMatchObject({ state: 'done', purged: [first] });
    expect(await store.exists(blobKey(onlyA))).toBe(false);
    expect(await store.exists(blobKey(shared))).toBe(true);
    expect(await store.exists(manifestKey(first))).toBe(false);
    expect((await getSnapshot(services.db, Number(first.slice(5))))?.purged_at).not.toBeNull();

    // Every remaining snapshot restores, verified file by file; the deleted one is gone for good.
    await g.ssh(a, 'rm -rf ckpt b.txt');
    const [restored] = await Promise.all(
      (await g.say(`restore snap-${taken.id} onto i-${a}`, { confirm: true })).jobs,
    );
    expect(restored, JSON.stringify(restored)).toMatchObject({ state: 'succeeded', kind: 'restore' });
    expect(await g.ssh(a, 'sha256sum ckpt/shared.bin b.txt')).toBe(want);
    g.surface.clear();
    await g.say(`restore ${first} onto i-${a}`);
    expect(g.surface.errors()[0]!.text).toContain(`no snapshot ${first} in this channel`);
    // Why: the clean-up found the storage held by the snapshot and left it alone until it was done.
    expect(during).toMatchObject({ state: 'busy', blockers: [expect.stringMatching(/^snapshot op-test-/)] });
  }, 120_000);

  it('describes a snapshot: size, what it added, when, and its largest folders and files', async () => {
    await g.ssh(
      a,
      'mkdir -p data/big && head -c 300000 /dev/urandom > data/big/weights.bin && echo hi > notes.txt',
    );
    const ref = await snapshot(`take a snapshot of i-${a} called described`);
    g.surface.clear();
    await g.say(`describe ${ref}`);
    const text = g.surface.posts('reply').join('\n');
    expect(text).toContain(`${ref} "described" of i-${a}: complete`);
    expect(text).toMatch(/\d+ files, [\d.]+ [kMG]?B; it added [\d.]+ [kMG]?B to storage/);
    expect(text).toMatch(/Largest at the top: (ckpt|data)\//);
    expect(text).toContain('data/big/weights.bin 300 kB');
    expect(text).toContain('by alice');
  }, 60_000);

  it('keeps the last N snapshots of an instance, never one a restore is reading', async () => {
    await g.say(`keep the last 2 snapshots of i-${b}`);
    expect(g.surface.posts('reply').join('\n')).toContain(`Keeping the last 2 complete snapshots of i-${b}`);
    const s1 = await snapshot(`snapshot i-${b}`);
    const s2 = await snapshot(`snapshot i-${b}`);
    // A restore of s1 waits in the queue on another instance: s1 must outlive the retention.
    const reader = await jobContext('restore', a);
    await services.db
      .updateTable('operations')
      .set({ args: JSON.stringify({ snapshot: s1, instance: `i-${a}` }), state: 'queued' })
      .where('id', '=', reader.operation.id)
      .execute();
    const s3 = await snapshot(`snapshot i-${b}`);
    expect((await getSnapshot(services.db, Number(s1.slice(5))))!.state).toBe('complete');
    await finishOperation(services.db, reader.operation.id, { state: 'succeeded', result: {} });

    const [final] = await Promise.all((await g.say(`snapshot i-${b}`)).jobs);
    const s4 = /^(snap-\d+)/.exec(final!.result!.summary)![1]!;
    expect(final!.result!.summary).toMatch(
      /Deleted snap-\d+, snap-\d+(, snap-\d+)? \(keeping the last 2\)\./,
    );
    g.surface.clear();
    await g.say(`snapshots of i-${b}`);
    const listing = g.surface.posts('reply').join('\n');
    expect(listing).toContain(s3);
    expect(listing).toContain(s4);
    expect(listing).not.toContain(`${s1} `);
    expect(listing).not.toContain(`${s2} `);
    // The clean-up ran right after that snapshot (nothing else held the storage).
    expect(await store.exists(manifestKey(s1))).toBe(false);
    expect(await store.exists(manifestKey(s3))).toBe(true);

    // Never the newest complete one, whatever the number.
    await services.db.updateTable('snapshot_policies').set({ keep_last: 0 }).execute();
    expect((await applyRetention(services, b, 'test')).deleted).toEqual([]);
    await g.say(`keep all snapshots of i-${b}`);
    expect((await getSnapshotPolicy(services.db, b))?.keep_last).toBe(0);
  }, 120_000);

  it('takes one snapshot per due time on a schedule, skips a busy or stopped instance, and stops when told', async () => {
    await g.say(`snapshot i-${a} every 30 minutes`);
    expect(g.surface.posts('reply').join('\n')).toContain(`Snapshotting i-${a} every 30 minutes`);
    const policy = (await getSnapshotPolicy(services.db, a))!;
    const anchor = policy.schedule_anchor!.getTime();
    const minutes = (m: number) => new Date(anchor + m * 60_000);

    expect((await runSnapshotSchedules(services, g.runtime.operations, minutes(29))).queued).toEqual([]);

    // Two workers looking at once queue one snapshot for the due time, under a derived id.
    const [one, two] = await Promise.all([
      runSnapshotSchedules(services, g.runtime.operations, minutes(31)),
      runSnapshotSchedules(services, g.runtime.operations, minutes(31)),
    ]);
    const queued = [...one.queued, ...two.queued];
    expect(queued).toHaveLength(1);
    const operationId = scheduledOperationId(policy.id, minutes(30));
    expect(queued[0]!.operation).toBe(operationId);
    const done = await waitFor(async () => {
      const op = await getOperation(services.db, operationId);
      return op?.state === 'succeeded' || op?.state === 'failed' ? op : undefined;
    });
    expect(done, JSON.stringify(done.error)).toMatchObject({ state: 'succeeded', requester: 'gpuops' });
    // Nothing was posted for it, and no progress message is owed.
    expect(done.reply_done_at).not.toBeNull();
    expect(g.surface.posts('progress')).toEqual([]);
    // Later in the same interval: nothing more.
    expect((await runSnapshotSchedules(services, g.runtime.operations, minutes(45))).queued).toEqual([]);

    // Busy at the next due time: skipped, and taken at a later tick of the same interval.
    const busy = await jobContext('snapshot', a);
    await services.db
      .updateTable('operations')
      .set({ state: 'queued' })
      .where('id', '=', busy.operation.id)
      .execute();
    const skipped = await runSnapshotSchedules(services, g.runtime.operations, minutes(61));
    expect(skipped.queued).toEqual([]);
    expect(skipped.skipped[0]).toMatchObject({ instance: `i-${a}`, why: expect.stringContaining('busy') });
    await finishOperation(services.db, busy.operation.id, { state: 'succeeded', result: {} });
    const later = await runSnapshotSchedules(services, g.runtime.operations, minutes(62));
    expect(later.queued.map((q) => q.operation)).toEqual([scheduledOperationId(policy.id, minutes(60))]);
    await waitFor(async () => {
      const op = await getOperation(services.db, later.queued[0]!.operation);
      return op?.state === 'succeeded' || op?.state === 'failed';
    });

    // A failed scheduled snapshot is told in one line, once.
    const failed = await jobContext('snapshot', a);
    await finishOperation(services.db, failed.operation.id, {
      state: 'failed',
      error: { code: 'ssh_failed', message: 'SSH dropped.' },
    });
    await setScheduledOperation(services.db, policy.id, failed.operation.id);
    await runSnapshotSchedules(services, g.runtime.operations, minutes(75));
    await runSnapshotSchedules(services, g.runtime.operations, minutes(76));
    const notices = (await listNotices(services.db, g.context.channel)).filter((n) =>
      n.text.includes(failed.operation.id),
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toMatch(
      /^The scheduled snapshot of i-\d+ \(op-test-\w+\) failed: SSH dropped\./,
    );

    // Not running at a due time: skipped, nothing queued.
    await services.db.updateTable('instances').set({ state: 'stopped' }).where('id', '=', a).execute();
    const stopped = await runSnapshotSchedules(services, g.runtime.operations, minutes(91));
    await services.db.updateTable('instances').set({ state: 'running' }).where('id', '=', a).execute();
    expect(stopped.queued).toEqual([]);
    expect(stopped.skipped).toEqual([{ instance: `i-${a}`, why: 'it is stopped' }]);

    g.surface.clear();
    await g.say(`stop snapshotting i-${a}`);
    expect(g.surface.posts('reply').join('\n')).toContain(`Stopped snapshotting i-${a} every 30 minutes`);
    expect((await runSnapshotSchedules(services, g.runtime.operations, minutes(200))).queued).toEqual([]);
  }, 120_000);

  it('refuses bad snapshot requests with a clear answer, and changes nothing', async () => {
    const before = await services.db.selectFrom('snapshots').select(['id', 'state']).orderBy('id').execute();
    const policies = await services.db.selectFrom('snapshot_policies').selectAll().orderBy('id').execute();
    const ask = async (text: string, context: RequestContext = g.context): Promise<string> => {
      g.surface.clear();
      g.surface.confirmations.push(true);
      await g.runtime.chat!.handle(text, context, g.surface);
      g.surface.confirmations.length = 0;
      const [error] = g.surface.errors();
      return error?.text ?? g.surface.posts().join('\n');
    };
    const stranger: RequestContext = {
      ...g.context,
      channel: 'team-other',
      replyTo: { surface: 'test', channel: 'team-other' },
    };
    const ours = before.find((s) => s.state === 'complete')!;

    expect(await ask('delete snap-999999')).toContain('There is no snapshot snap-999999 in this channel');
    expect(await ask(`describe snap-999999`)).toContain('There is no snapshot snap-999999 in this channel');
    expect(await ask(`delete snap-${ours.id}`, stranger)).toContain(
      `There is no snapshot snap-${ours.id} in this channel`,
    );
    expect(await ask(`describe snap-${ours.id}`, stranger)).toContain('There is no snapshot');
    expect(await ask(`snapshot i-${a} every 0 minutes`)).toMatch(
      /at the least.*every 0 minutes.*Nothing was changed/,
    );
    expect(await ask(`snapshot i-${a} every hour`, stranger)).toContain('belongs to another channel');
    expect(await ask(`keep the last 3 snapshots of i-${b}`, stranger)).toContain(
      'belongs to another channel',
    );
    expect(await ask('snapshot i-999999 every hour')).toContain('There is no instance i-999999');
    expect(await ask(`stop snapshotting i-${b}`)).toContain('had no snapshot schedule; nothing to stop');

    expect(await services.db.selectFrom('snapshots').select(['id', 'state']).orderBy('id').execute()).toEqual(
      before,
    );
    expect(await services.db.selectFrom('snapshot_policies').selectAll().orderBy('id').execute()).toEqual(
      policies,
    );
  }, 60_000);

  it('reads how many snapshots to keep by default from GPUOPS_SNAPSHOT_KEEP', () => {
    expect(loadConfig({}).snapshotKeep).toBe(0);
    expect(loadConfig({ GPUOPS_SNAPSHOT_KEEP: '7' }).snapshotKeep).toBe(7);
    expect(() => loadConfig({ GPUOPS_SNAPSHOT_KEEP: '-1' })).toThrow(/GPUOPS_SNAPSHOT_KEEP/);
  });
});

describe('the snapshot maintenance tick, on the offline default (PGlite, queue on it)', () => {
  let g: TestGpuops;

  beforeAll(async () => {
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres', env: { GPUOPS_SNAPSHOT_TICK_MS: '200' } });
  }, 60_000);
  afterAll(async () => {
    await g?.close();
  });

  it('frees a deleted snapshot on a later tick once the storage is no longer held', async () => {
    const [deploy] = await Promise.all((await g.say('deploy a 4090')).jobs);
    const instance = deploy!.result!.instance;
    const [taken] = await Promise.all((await g.say(`snapshot ${instance}`)).jobs);
    const ref = /^(snap-\d+)/.exec(taken!.result!.summary)![1]!;
    const db = g.runtime.database.db;
    const store = await g.runtime.snapshots!.store();
    expect(await store.exists(manifestKey(ref))).toBe(true);

    // A restore elsewhere holds the storage: ticks come and go, and leave the deleted snapshot be.
    const held = await StorageLease.tryAcquire(db, { mode: 'shared', holder: 'restore op-elsewhere' });
    await g.say(`delete ${ref}`, { confirm: true });
    await sleep(800);
    const row = () => getSnapshot(db, Number(ref.slice(5)));
    expect(await row()).toMatchObject({ state: 'deleted', purged_at: null });
    expect(await store.exists(manifestKey(ref))).toBe(true);

    await held.lease!.release();
    await waitFor(async () => (await row())?.purged_at ?? undefined, { timeoutMs: 10_000 });
    expect(await store.exists(manifestKey(ref))).toBe(false);
  }, 90_000);
});
