import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import { getStandby } from '../../db/repositories/standbys.ts';
import { failHost, getSimState } from '../../src/cloud/sim/admin-client.ts';
import { sshExec } from '../../src/cloud/ssh/ssh-client.ts';
import { gcpStandbyServices } from '../../src/jobs/operations/standby-services.ts';
import type { WorkerServices } from '../../src/jobs/queue/job-context.ts';
import { failBackDue } from '../../src/jobs/upkeep/health-monitor.ts';
import { syncStandbys } from '../../src/jobs/upkeep/standby-sync-pass.ts';
import { type ComputeStandIn, startComputeStandIn } from '../support/gcp/compute-stand-in.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/wait.ts';
import { DESCRIBE_WORKSPACE, WRITE_WORKSPACE } from '../support/workspace-fixture.ts';

/**
 * The CPU standby as a failover target: a lost instance for which no GPU fits its ceiling moves
 * onto its standby VM with every file, work goes on there, and it fails back onto a GPU (by
 * itself, once one fits) with that work.
 */
describe('failover onto the CPU standby and back', () => {
  let gcp: ComputeStandIn;
  let g: TestGpuops;
  let workers: WorkerServices;
  let closeStandby: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    gcp = await startComputeStandIn();
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      env: {
        ...gcp.env,
        GPUOPS_STANDBY_SYNC_INTERVAL_MS: '0',
        GPUOPS_HEALTH_INTERVAL_MS: '0',
        // A spot VM, so GCP may stop it.
        GPUOPS_GCP_SPOT: 'true',
      },
    });
    const standby = gcpStandbyServices(g.runtime.config.gcp!, g.runtime.log);
    closeStandby = standby.close;
    workers = { ...g.workerServices(), standby: standby.services };
  });
  afterAll(async () => {
    await closeStandby?.();
    await g?.close();
    await gcp?.close();
  });

  async function onStandby(id: number, command: string): Promise<string> {
    const row = (await getInstance(g.runtime.database.db, id))!;
    const result = await sshExec(
      {
        host: row.ssh_host!,
        port: row.ssh_port!,
        username: 'gpuops',
        privateKey: g.runtime.sshKey.privateKey,
      },
      `cd workspace && ${command}`,
    );
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  }

  it('moves a lost instance onto its standby when no GPU fits, then back onto a GPU with the work done there', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, WRITE_WORKSPACE);
    const before = await g.ssh(id, DESCRIBE_WORKSPACE);
    expect((await g.follow(`snapshot i-${id}`)).state).toBe('succeeded');
    const enabled = await g.follow(`enable standby for i-${id}`, { confirm: true });
    expect(enabled, JSON.stringify(enabled.error)).toMatchObject({ state: 'succeeded', kind: 'standby' });

    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(g.sim, { instance_id: Number(old.provider_instance_id) });
    // No GPU is had for a cent an hour: the standby takes it.
    const moved = await g.follow(`failover i-${id} under $0.01`, { confirm: true });
    expect(moved, JSON.stringify(moved.error)).toMatchObject({ state: 'succeeded', kind: 'failover' });
    expect(moved.result!.summary).toMatch(/now runs on its CPU standby/);
    expect(moved.result!.summary).toMatch(/recovery time \(RTO\)/);

    const onVm = (await getInstance(g.runtime.database.db, id))!;
    expect(onVm.state).toBe('on_standby');
    expect((await getStandby(g.runtime.database.db, id))!.state).toBe('serving');
    expect(await onStandby(id, DESCRIBE_WORKSPACE)).toBe(before);
    let sim = await getSimState(g.sim);
    expect(sim.instances.find((i) => String(i.id) === old.provider_instance_id)?.destroyed).toBe(true);
    // Nothing was rented at the marketplace for this failover.
    expect(sim.instances.filter((i) => i.label === `gpuops-${moved.operationId}`)).toHaveLength(0);

    g.surface.clear();
    await g.say(`status of i-${id}`);
    const status = g.surface.posts('reply').join('\n');
    expect(status).toContain('running on its CPU standby');
    expect(status).toMatch(new RegExp(`CPU standby: VM \\S+ .*i-${id} runs on it`));
    expect(status).toMatch(/ssh -p \d+ gpuops@127\.0\.0\.\d+/);

    // Its standby is what it runs on: turning it off is refused.
    g.surface.clear();
    await g.say(`turn off standby for i-${id}`, { confirm: true });
    expect(g.surface.errors()[0]!.text).toMatch(/runs on its standby/);

    await onStandby(id, 'echo "done on cpu" > cpu-work.txt');

    // GCP preempts the spot VM it runs on: the scheduled pass starts it again, and the instance
    // follows its new address with its disk as it was.
    const standby = (await getStandby(g.runtime.database.db, id))!;
    await gcp.preempt(standby.vm_name);
    const pass = await syncStandbys(workers);
    expect(pass.restarted).toEqual([`i-${id}`]);
    expect(pass.synced).toEqual([]);
    expect(await onStandby(id, 'cat cpu-work.txt')).toBe('done on cpu\n');

    // A GPU fits again (its usual ceiling): the monitor's pass fails it back by itself.
    const started = await failBackDue(g.workerServices(), g.runtime.operations);
    expect(started).toEqual([`i-${id}`]);
    expect(await failBackDue(g.workerServices(), g.runtime.operations)).toEqual([]);
    const failback = await g.runtime.database.db
      .selectFrom('operations')
      .select('id')
      .where('instance_id', '=', id)
      .where('kind', '=', 'failover')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    await waitFor(
      async () => {
        const op = await getOperation(g.runtime.database.db, failback.id);
        return op?.state === 'succeeded' || op?.state === 'failed' ? op : undefined;
      },
      { timeoutMs: 60_000, what: 'the failback to end' },
    ).then((op) => expect(op, JSON.stringify(op.error)).toMatchObject({ state: 'succeeded' }));

    const back = (await getInstance(g.runtime.database.db, id))!;
    expect(back.state).toBe('running');
    expect(await g.ssh(id, 'cat cpu-work.txt')).toBe('done on cpu\n');
    expect(await g.ssh(id, `${DESCRIBE_WORKSPACE} | grep -v cpu-work`)).toBe(before);
    expect((await getStandby(g.runtime.database.db, id))!.state).toBe('ready');
    sim = await getSimState(g.sim);
    expect(sim.instances.filter((i) => i.label === `gpuops-${failback.id}` && !i.destroyed)).toHaveLength(1);
    const notices = await g.runtime.database.db
      .selectFrom('notices')
      .select('text')
      .where('instance_id', '=', id)
      .execute();
    expect(notices.map((n) => n.text).join('\n')).toMatch(new RegExp(`i-${id} is back on a GPU`));
  }, 240_000);
});
