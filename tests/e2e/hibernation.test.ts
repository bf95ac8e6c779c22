import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import { applyMarketPressure, getSimState, resetFailures } from '../../src/cloud/sim/admin-client.ts';
import { settleAfterFailure } from '../../src/jobs/operations/settle.ts';
import type { WorkerServices } from '../../src/jobs/queue/job-context.ts';
import { hibernateDue } from '../../src/jobs/upkeep/hibernation.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/wait.ts';
import { DESCRIBE_WORKSPACE, WRITE_WORKSPACE } from '../support/workspace-fixture.ts';

describe('hibernation', () => {
  let g: TestGpuops;
  let services: WorkerServices;

  beforeAll(async () => {
    g = await startTestGpuops({ db: 'postgres', queue: 'postgres', env: { GPUOPS_HEALTH_INTERVAL_MS: '0' } });
    services = g.workerServices();
  });
  afterEach(async () => {
    await resetFailures(g.sim);
  });
  afterAll(async () => {
    await g?.close();
  });

  it('hibernates an instance paused past its policy and wakes it with every file intact under the same name', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, WRITE_WORKSPACE);
    const before = await g.ssh(id, DESCRIBE_WORKSPACE);
    expect((await g.follow(`pause i-${id}`)).state).toBe('succeeded');
    await g.say(`hibernate i-${id} after 2 hours paused`);
    const paused = (await getInstance(g.runtime.database.db, id))!;
    expect(Number(paused.hibernate_after_ms)).toBe(2 * 3_600_000);
    expect(paused.stopped_at).not.toBeNull();

    // Not yet: paused for less than its time.
    expect(
      await hibernateDue(services, g.runtime.operations, new Date(paused.stopped_at!.getTime() + 60_000)),
    ).toEqual([]);
    const later = new Date(paused.stopped_at!.getTime() + 2 * 3_600_000 + 1);
    expect(await hibernateDue(services, g.runtime.operations, later)).toEqual([`i-${id}`]);
    // The same pass again queues nothing more.
    expect(await hibernateDue(services, g.runtime.operations, later)).toEqual([]);
    const op = await g.runtime.database.db
      .selectFrom('operations')
      .selectAll()
      .where('instance_id', '=', id)
      .where('kind', '=', 'hibernate')
      .executeTakeFirstOrThrow();
    await waitFor(async () => (await getOperation(g.runtime.database.db, op.id))?.state === 'succeeded', {
      timeoutMs: 60_000,
      what: 'the hibernation to finish',
    });

    const hibernated = (await getInstance(g.runtime.database.db, id))!;
    expect(hibernated).toMatchObject({ state: 'hibernated', provider_instance_id: null, ssh_host: null });
    const sim = await getSimState(g.sim);
    expect(sim.instances.find((i) => String(i.id) === paused.provider_instance_id)?.destroyed).toBe(true);
    const notices = await g.runtime.database.db
      .selectFrom('notices')
      .select(['text', 'actions'])
      .where('instance_id', '=', id)
      .orderBy('id')
      .execute();
    expect(notices.map((n) => n.text).join('\n')).toMatch(/hibernated: its workspace is in snap-\d+/);
    // Chats show a button that wakes it.
    expect(notices.at(-1)!.actions).toEqual([
      { label: `Wake i-${id}`, tool: 'resume', args: { instance: `i-${id}` } },
    ]);
    // What it saves from now on is in the audit log: its disk no longer bills.
    const audit = await g.runtime.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target', '=', `i-${id}`)
      .where('action', '=', 'auto-hibernate')
      .executeTakeFirstOrThrow();
    expect((audit.details as { saves_per_hour: number }).saves_per_hour).toBeGreaterThan(0);

    g.surface.clear();
    await g.say('list my instances');
    expect(g.surface.posts('reply').join('\n')).toMatch(new RegExp(`i-${id}.*hibernated`));

    const woke = await g.follow(`wake i-${id}`);
    expect(woke, JSON.stringify(woke.error)).toMatchObject({ state: 'succeeded', kind: 'failover' });
    expect(woke.result!.summary).toMatch(new RegExp(`i-${id} woke up on a new machine`));
    const awake = (await getInstance(g.runtime.database.db, id))!;
    expect(awake.state).toBe('running');
    expect(awake.hibernated_at).toBeNull();
    expect(await g.ssh(id, DESCRIBE_WORKSPACE)).toBe(before);
  }, 180_000);

  it('hibernates a running instance on request and refuses to hibernate one twice', async () => {
    const id = await g.deploy('deploy a 3090');
    await g.ssh(id, 'echo "state" > notes.txt');
    const done = await g.follow(`hibernate i-${id}`, { confirm: true });
    expect(done, JSON.stringify(done.error)).toMatchObject({ state: 'succeeded', kind: 'hibernate' });
    expect((await getInstance(g.runtime.database.db, id))!.state).toBe('hibernated');

    g.surface.clear();
    await g.say(`hibernate i-${id}`, { confirm: true });
    expect(g.surface.errors()[0]!.text).toContain('already hibernated');

    const woke = await g.follow(`resume i-${id}`);
    expect(woke.state).toBe('succeeded');
    expect(await g.ssh(id, 'cat notes.txt')).toBe('state\n');
  }, 180_000);

  it('leaves a paused instance whose GPUs were taken paused, with its disk, and says how to move it', async () => {
    const id = await g.deploy('deploy a 4090');
    expect((await g.follow(`pause i-${id}`)).state).toBe('succeeded');
    const row = (await getInstance(g.runtime.database.db, id))!;
    await applyMarketPressure(g.sim, { instance_id: Number(row.provider_instance_id) });

    const failed = await g.follow(`hibernate i-${id}`, { confirm: true });
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toMatch(/cannot start.*stays paused/);
    const after = (await getInstance(g.runtime.database.db, id))!;
    expect(after.state).toBe('stopped');
    const sim = await getSimState(g.sim);
    expect(sim.instances.find((i) => String(i.id) === row.provider_instance_id)?.destroyed).toBe(false);
  }, 120_000);

  it('records a hibernation that ended after storing its snapshot and releasing the machine as hibernated', async () => {
    const id = await g.deploy('deploy a 4090');
    const row = (await getInstance(g.runtime.database.db, id))!;
    const db = g.runtime.database.db;
    const operation = await db
      .insertInto('operations')
      .values({
        id: `op-halfhib${id}`,
        kind: 'hibernate',
        args: JSON.stringify({ instance: `i-${id}`, reason: 'requested' }),
        requester: 'alice',
        channel: 'team-ml',
        reply_to: JSON.stringify({ surface: 'test', channel: 'team-ml' }),
        state: 'failed',
        instance_id: id,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await db
      .insertInto('snapshots')
      .values({
        operation_id: operation.id,
        instance_id: id,
        name: 'hibernation',
        channel: 'team-ml',
        requester: 'alice',
        state: 'complete',
        files: 0,
        bytes: 0,
        uploaded_bytes: 0,
      })
      .execute();
    // The machine was released; the worker died before writing it down.
    await g.runtime.provider.destroyInstance(row.provider_instance_id!);
    await waitFor(async () => (await g.runtime.provider.getInstance(row.provider_instance_id!)) === null, {
      timeoutMs: 30_000,
      what: 'the machine to be gone',
    });
    const said = await settleAfterFailure(services, operation, {
      code: 'abandoned',
      message: 'The hibernate did not finish.',
    });
    expect(said).toMatch(
      new RegExp(`i-${id}'s workspace is in snap-\\d+ and its machine is gone, so it is hibernated`),
    );
    expect((await getInstance(db, id))!).toMatchObject({ state: 'hibernated', provider_instance_id: null });
  }, 120_000);

  it('destroys a hibernated instance without a machine, keeping its snapshots', async () => {
    const id = await g.deploy('deploy a 4090');
    expect((await g.follow(`hibernate i-${id}`, { confirm: true })).state).toBe('succeeded');
    const destroyed = await g.follow(`destroy i-${id}`, { confirm: true });
    expect(destroyed.state).toBe('succeeded');
    expect((await getInstance(g.runtime.database.db, id))!.state).toBe('destroyed');
    g.surface.clear();
    await g.say(`list snapshots of i-${id}`);
    expect(g.surface.posts('reply').join('\n')).toContain('hibernation');
  }, 120_000);
});
