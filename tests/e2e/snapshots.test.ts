import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';

describe('snapshots from chat', () => {
  let g: TestGpuops;

  beforeAll(async () => {
    g = await startTestGpuops({ db: 'postgres', queue: 'postgres' });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('snapshots a workspace by name, lists it, and restores it onto another instance, verified', async () => {
    const source = await g.deploy('deploy a 4090');
    await g.ssh(
      source,
      'mkdir -p ckpt && head -c 3000000 /dev/urandom > ckpt/model.bin && echo "lr=3e-4" > "train config.txt"',
    );
    const want = await g.ssh(source, 'sha256sum ckpt/model.bin "train config.txt"');

    const snapped = await g.say(`take a snapshot of i-${source} called before-upgrade`);
    const [snapshot] = await Promise.all(snapped.jobs);
    expect(snapshot).toMatchObject({ state: 'succeeded', kind: 'snapshot' });
    expect(snapshot!.result!.summary).toMatch(/^snap-\d+ "before-upgrade" of i-\d+: 2 files/);
    const ref = /^(snap-\d+)/.exec(snapshot!.result!.summary)![1]!;

    g.surface.clear();
    await g.say('list snapshots');
    const listing = g.surface.posts('reply').join('\n');
    expect(listing).toContain(ref);
    expect(listing).toContain('before-upgrade');
    expect(listing).toContain('complete');

    const target = await g.deploy('deploy a 3090');
    const restored = await g.say(`restore ${ref} onto i-${target}`, { confirm: true });
    const [final] = await Promise.all(restored.jobs);
    expect(final).toMatchObject({ state: 'succeeded', kind: 'restore' });
    expect(final!.result!.summary).toContain('verified');
    expect(await g.ssh(target, 'sha256sum ckpt/model.bin "train config.txt"')).toBe(want);

    // A second snapshot of the unchanged workspace stores nothing new.
    const again = await g.say(`snapshot i-${source}`);
    const [second] = await Promise.all(again.jobs);
    expect(second!.result!.summary).toContain('(0 B new)');
  }, 120_000);

  it('restores a snapshot onto a new instance of another GPU, verified before it counts as running', async () => {
    const source = await g.deploy('deploy a 4090');
    await g.ssh(source, 'mkdir -p ckpt && head -c 2000000 /dev/urandom > ckpt/weights.bin');
    const want = await g.ssh(source, 'sha256sum ckpt/weights.bin');
    const snapped = await g.follow(`snapshot i-${source}`);
    const ref = /^(snap-\d+)/.exec(snapped.result!.summary)![1]!;

    const final = await g.follow(`restore ${ref} on a 3090`, { confirm: true });
    expect(final, JSON.stringify(final.error)).toMatchObject({ state: 'succeeded', kind: 'deploy' });
    expect(final.result!.summary).toContain(`${ref} restored and verified`);
    const fresh = Number(final.result!.instance.slice(2));
    expect(fresh).not.toBe(source);
    expect((await getInstance(g.runtime.database.db, fresh))!.gpu_name).toBe('RTX 3090');
    expect(await g.ssh(fresh, 'sha256sum ckpt/weights.bin')).toBe(want);

    g.surface.clear();
    const refused = await g.say(`restore ${ref} on a 9090`, { confirm: true });
    expect(refused.jobs).toHaveLength(0);
    expect(g.surface.errors()[0]!.text).toMatch(/don't know a GPU called "9090"/);
  }, 120_000);

  it('reaches the machine where the provider says it is now, and the record follows', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, 'echo kept > kept.txt');
    const row = (await getInstance(g.runtime.database.db, id))!;
    // The record is out of date (a restart moved the port, as the embedded simulator's does).
    await g.runtime.database.db.updateTable('instances').set({ ssh_port: 1 }).where('id', '=', id).execute();
    const snapped = await g.follow(`snapshot i-${id}`);
    expect(snapped, JSON.stringify(snapped.error)).toMatchObject({ state: 'succeeded' });
    expect(snapped.result!.summary).toMatch(/1 files/);
    expect((await getInstance(g.runtime.database.db, id))!.ssh_port).toBe(row.ssh_port);
  }, 120_000);

  it('refuses to restore a snapshot larger than the target disk, and restores nothing', async () => {
    const target = await g.deploy('deploy a 4090');
    const row = (await getInstance(g.runtime.database.db, target))!;
    // A complete snapshot recorded as ten times the disk's size.
    const big = await g.runtime.database.db
      .insertInto('snapshots')
      .values({
        operation_id: `op-bigsnap${target}`,
        instance_id: target,
        channel: 'team-ml',
        requester: 'alice',
        state: 'complete',
        files: 1,
        bytes: row.disk_gb * 10e9,
        uploaded_bytes: 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    g.surface.clear();
    const handled = await g.say(`restore snap-${big.id} onto i-${target}`, { confirm: true });
    expect(handled.jobs).toHaveLength(0);
    expect(g.surface.errors()[0]!.text).toMatch(new RegExp(`more than i-${target}'s ${row.disk_gb} GB disk`));
    await g.runtime.database.db.deleteFrom('snapshots').where('id', '=', big.id).execute();
  }, 120_000);

  it('refuses what it cannot do, and changes nothing', async () => {
    g.surface.clear();
    await g.say('restore snap-999 onto i-1');
    expect(g.surface.errors()[0]!.text).toContain('no snapshot snap-999 in this channel');
    g.surface.clear();
    await g.say('snapshot i-999');
    expect(g.surface.errors()[0]!.text).toMatch(/i-999/);
    const rows = await g.runtime.database.db
      .selectFrom('operations')
      .select('id')
      .where('kind', '=', 'restore')
      .execute();
    expect(rows).toHaveLength(1);
  });
});
