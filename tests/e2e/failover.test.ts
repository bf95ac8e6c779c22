import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failoverOfOperation } from '../../db/repositories/failovers.ts';
import { getInstance } from '../../db/repositories/instances.ts';
import {
  failHost,
  failNext,
  getSimState,
  makeOfferGone,
  resetFailures,
} from '../../src/cloud/sim/admin-client.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { DESCRIBE_WORKSPACE, WRITE_WORKSPACE } from '../support/workspace-fixture.ts';

describe('failover from chat', () => {
  let g: TestGpuops;

  beforeAll(async () => {
    g = await startTestGpuops({ db: 'postgres', queue: 'postgres' });
  });
  afterEach(async () => {
    await resetFailures(g.sim);
  });
  afterAll(async () => {
    await g?.close();
  });

  it('moves an instance whose host died onto a new machine, with every file, mode and link verified', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, WRITE_WORKSPACE);
    const before = await g.ssh(id, DESCRIBE_WORKSPACE);
    expect(before).toContain('L ./latest.bin -> ckpt/model.bin');
    expect(before).toContain('D ./empty/nested');
    const snapped = await g.follow(`back up i-${id}`);
    expect(snapped.state).toBe('succeeded');

    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(g.sim, { instance_id: Number(old.provider_instance_id) });

    const final = await g.follow(`i-${id} died, move it`, { confirm: true });
    expect(final, JSON.stringify(final.error)).toMatchObject({ state: 'succeeded', kind: 'failover' });
    expect(final.result!.instance).toBe(`i-${id}`);
    expect(final.result!.summary).toMatch(/moved to a new machine/);
    expect(final.result!.summary).toMatch(/recovery time \(RTO\) \d+:\d\d|recovery time \(RTO\) \d/);
    expect(final.result!.summary).toMatch(/data age \(RPO\)/);
    expect(final.result!.summary).toContain('verified');

    const moved = (await getInstance(g.runtime.database.db, id))!;
    expect(moved.state).toBe('running');
    expect(moved.provider_instance_id).not.toBe(old.provider_instance_id);
    expect(await g.ssh(id, DESCRIBE_WORKSPACE)).toBe(before);

    const sim = await getSimState(g.sim);
    const oldMachine = sim.instances.find((i) => String(i.id) === old.provider_instance_id);
    expect(oldMachine?.destroyed).toBe(true);
    // Exactly one replacement was rented for the failover.
    expect(sim.instances.filter((i) => i.label === `gpuops-${final.operationId}`)).toHaveLength(1);
    const failover = await failoverOfOperation(g.runtime.database.db, final.operationId);
    expect(failover).toMatchObject({
      reason: 'requested',
      old_provider_instance_id: old.provider_instance_id,
    });
    expect(Number(failover!.recovery_ms)).toBeGreaterThan(0);
    expect(failover!.old_released_at).not.toBeNull();

    // The user keeps talking about the same instance.
    g.surface.clear();
    await g.say(`status of i-${id}`);
    expect(g.surface.posts('reply').join('\n')).toContain('running');
  }, 180_000);

  it('migrates a running instance with a fresh snapshot (no data lost) and tries the next offer when one is taken', async () => {
    const id = await g.deploy('deploy a 3090');
    await g.ssh(id, 'echo "written just now" > fresh.txt');
    const old = (await getInstance(g.runtime.database.db, id))!;
    await makeOfferGone(g.sim, { on: 'next-create' });

    const final = await g.follow(`migrate i-${id} to a new gpu`, { confirm: true });
    expect(final, JSON.stringify(final.error)).toMatchObject({ state: 'succeeded', kind: 'failover' });
    expect(final.result!.summary).toContain('0 s, a fresh snapshot');
    expect(await g.ssh(id, 'cat fresh.txt')).toBe('written just now\n');

    const sim = await getSimState(g.sim);
    expect(sim.instances.find((i) => String(i.id) === old.provider_instance_id)?.destroyed).toBe(true);
    expect(
      sim.instances.filter((i) => i.label === `gpuops-${final.operationId}` && !i.destroyed),
    ).toHaveLength(1);
  }, 180_000);

  it('adopts a replacement whose rental answer was lost rather than renting a second one', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, 'echo kept > kept.txt');
    await failNext(g.sim, { endpoint: 'create', status: 502, count: 1, applied: true });

    const final = await g.follow(`failover i-${id}`, { confirm: true });
    expect(final, JSON.stringify(final.error)).toMatchObject({ state: 'succeeded' });
    expect(await g.ssh(id, 'cat kept.txt')).toBe('kept\n');
    const sim = await getSimState(g.sim);
    expect(sim.instances.filter((i) => i.label === `gpuops-${final.operationId}`)).toHaveLength(1);
  }, 180_000);

  it('refuses to move a dead instance that has no snapshot, and rents nothing', async () => {
    const id = await g.deploy('deploy a 4090');
    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(g.sim, { instance_id: Number(old.provider_instance_id) });
    // Let the records learn of the failure, as the reconciler would.
    await g.say(`status of i-${id}`);
    const before = (await getSimState(g.sim)).instances.length;

    g.surface.clear();
    const handled = await g.say(`failover i-${id}`, { confirm: true });
    const finals = await Promise.all(handled.jobs);
    const text = [
      ...g.surface.errors().map((e) => e.text),
      ...finals.map((f) => f.error?.message ?? ''),
    ].join('\n');
    expect(text).toMatch(/no (complete )?snapshot/);
    expect((await getSimState(g.sim)).instances.length).toBe(before);
  }, 120_000);

  it('refuses an unknown GPU and an unknown instance with a clear answer', async () => {
    g.surface.clear();
    await g.say('migrate i-1 to a 9090');
    await g.say('failover i-99999');
    const errors = g.surface.errors().map((e) => e.text);
    expect(errors.join('\n')).toMatch(/9090/);
    expect(errors.join('\n')).toMatch(/i-99999/);
    const rows = await g.runtime.database.db
      .selectFrom('operations')
      .select('id')
      .where('kind', '=', 'failover')
      .where('instance_id', '=', 99_999)
      .execute();
    expect(rows).toHaveLength(0);
  });
});
