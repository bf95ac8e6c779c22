import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../db/repositories/audit.ts';
import { getInstance } from '../../db/repositories/instances.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { sshExec } from '../../src/cloud/ssh/ssh-client.ts';
import type { ProgressView } from '../../src/jobs/queue/progress.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { testBackends } from '../support/index.ts';

function progressOf(g: TestGpuops, ref: string): ProgressView[] {
  return g.surface.versionsOf(ref).map((m) => m.progress!);
}

function lastProgressRef(g: TestGpuops): string {
  const refs = g.surface.progressRefs();
  expect(refs.length).toBeGreaterThan(0);
  return refs.at(-1)!;
}

describe.each(testBackends)('from a chat line to a GPU, on $name', (backend) => {
  let g: TestGpuops;
  let instance = '';

  beforeAll(async () => {
    g = await startTestGpuops({ db: backend.db, queue: backend.queue });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('deploys a 4090 under 50 cents from one chat line, with one progress message ending in the instance, price and SSH command', async () => {
    const handled = await g.say('deploy a 4090 with pytorch under 50 cents an hour');
    expect(handled.calls).toEqual([
      { tool: 'deploy', args: expect.objectContaining({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 }) },
    ]);
    expect(g.surface.errors()).toEqual([]);

    const ref = lastProgressRef(g);
    const views = progressOf(g, ref);
    expect(views[0]!.state).toBe('queued');
    const final = views.at(-1)!;
    expect(final.state).toBe('succeeded');
    // Steps only move forward, and the final state is the last edit.
    const running = views.filter((v) => v.state === 'running');
    for (let i = 1; i < running.length; i++) {
      expect(running[i]!.stepIndex).toBeGreaterThanOrEqual(running[i - 1]!.stepIndex);
    }
    expect(views.slice(0, -1).every((v) => v.state !== 'succeeded')).toBe(true);
    expect(final.result?.gpu).toBe('RTX 4090');
    expect(final.result?.pricePerHour).toBeLessThanOrEqual(0.5);
    expect(final.result?.ssh).toMatch(/^ssh -p \d+ root@127\.0\.0\.1$/);
    const finalText = g.surface.versionsOf(ref).at(-1)!.text;
    expect(finalText).toContain(final.result!.instance);
    expect(finalText).toContain('RTX 4090');
    expect(finalText).toMatch(/\$0\.\d{3}\/hr/);
    expect(finalText).toContain('ssh -p');

    instance = final.result!.instance;
    const row = await getInstance(g.runtime.database.db, Number(instance.slice(2)));
    expect(row).toMatchObject({
      state: 'running',
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      owner: 'alice',
      channel: 'team-ml',
    });
    expect(row!.provider_instance_id).toBeTruthy();
    const op = await getOperation(g.runtime.database.db, final.operationId);
    expect(op).toMatchObject({ state: 'succeeded', kind: 'deploy', requester: 'alice' });

    const simState = await getSimState(g.sim);
    const live = simState.instances.filter((i) => !i.destroyed && i.label === `gpuops-${final.operationId}`);
    expect(live).toHaveLength(1);
    expect(live[0]!.actual_status).toBe('running');

    // The machine is really there: gpuops's key logs in over SSH and sees the GPU.
    const ssh = await sshExec(
      { host: row!.ssh_host!, port: row!.ssh_port!, privateKey: g.runtime.sshKey.privateKey },
      'nvidia-smi --query-gpu=name --format=csv,noheader',
    );
    expect(ssh.stdout).toContain('4090');

    const audit = await listAudit(g.runtime.database.db, { target: instance, limit: 10 });
    expect(
      audit.some(
        (a) => a.action === 'deploy' && a.outcome === 'ok' && a.price_per_hour === row!.price_per_hour,
      ),
    ).toBe(true);
  });

  it('lists the instance and shows its status with the SSH command', async () => {
    g.surface.clear();
    await g.say('list my instances');
    expect(g.surface.posts('reply').join('\n')).toContain(instance);
    g.surface.clear();
    await g.say(`status of ${instance}`);
    const status = g.surface.posts('reply').join('\n');
    expect(status).toContain(`${instance}: 1x RTX 4090, running`);
    expect(status).toMatch(/ssh: ssh -p \d+ root@127\.0\.0\.1/);
  });

  it('pauses and resumes the instance as jobs, each ending in its final state', async () => {
    g.surface.clear();
    await g.say(`pause ${instance}`);
    const paused = progressOf(g, lastProgressRef(g)).at(-1)!;
    expect(paused).toMatchObject({ state: 'succeeded', kind: 'pause', instance });
    const id = Number(instance.slice(2));
    expect((await getInstance(g.runtime.database.db, id))!.state).toBe('stopped');

    g.surface.clear();
    await g.say(`resume ${instance}`);
    const resumed = progressOf(g, lastProgressRef(g)).at(-1)!;
    expect(resumed).toMatchObject({ state: 'succeeded', kind: 'resume', instance });
    expect(resumed.result?.ssh).toMatch(/^ssh -p \d+/);
    expect((await getInstance(g.runtime.database.db, id))!.state).toBe('running');
  });

  it('destroys only after the requester confirms, and then nothing is left billing', async () => {
    const id = Number(instance.slice(2));
    g.surface.clear();
    await g.say(`destroy ${instance}`, { confirm: false });
    expect(g.surface.events.find((e) => e.type === 'confirm')?.question).toContain(`Destroy ${instance}`);
    expect(g.surface.posts('reply').join('\n')).toContain('Cancelled');
    expect(g.surface.progressRefs()).toHaveLength(0);
    expect((await getInstance(g.runtime.database.db, id))!.state).toBe('running');

    g.surface.clear();
    await g.say(`destroy ${instance}`, { confirm: true });
    const destroyed = progressOf(g, lastProgressRef(g)).at(-1)!;
    expect(destroyed).toMatchObject({ state: 'succeeded', kind: 'destroy', instance });
    const row = await getInstance(g.runtime.database.db, id);
    expect(row!.state).toBe('destroyed');
    const simState = await getSimState(g.sim);
    expect(simState.instances.filter((i) => !i.destroyed)).toHaveLength(0);
  });
});
