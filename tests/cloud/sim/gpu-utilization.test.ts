import { Client } from 'ssh2';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGpuUtilization } from '../../../src/cloud/ssh/gpu-utilization.ts';
import { cheapestOffer, newKeyPair, sshExec, useSimulator, waitForStatus } from '../../support/simulator.ts';
import { waitFor } from '../../support/wait.ts';

describe('GPU utilisation on simulated instances', () => {
  const { api } = useSimulator();
  const key = newKeyPair();

  beforeAll(async () => {
    await api.registerKey(key.public);
  });

  async function runningInstance(numGpus: number) {
    const offer = await cheapestOffer(api, { gpu_name: { eq: 'RTX 4090' }, num_gpus: { eq: numGpus } });
    const created = await api.create(offer.id);
    const id = created.json.new_contract!;
    const running = await waitForStatus(api, id, 'running');
    const target = { host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private };
    return { id, target };
  }

  const utilization = (target: { host: string; port: number; privateKey: string }) =>
    readGpuUtilization(target, 15_000);

  it('reports 0% with no GPU work, the load of gpu-burn while it runs, and 0% again once it exits', async () => {
    const { id, target } = await runningInstance(2);
    expect(await utilization(target)).toEqual([0, 0]);

    const started = await sshExec(
      target,
      'gpu-burn -u 87 -i 1 600 > burn.log 2>&1 & echo $! > burn.pid; echo started',
    );
    expect(started.stdout).toBe('started\n');
    expect(await waitFor(async () => (await utilization(target))[1] === 87, { what: 'GPU 1 at 87%' })).toBe(
      true,
    );
    expect((await utilization(target))[0]).toBe(0);

    const csv = await sshExec(
      target,
      'nvidia-smi --query-gpu=index,utilization.gpu,memory.used,pstate --format=csv',
    );
    expect(csv.stdout).toBe(
      'index, utilization.gpu [%], memory.used [MiB], pstate\n0, 0 %, 1 MiB, P8\n1, 87 %, 22107 MiB, P0\n',
    );
    const table = (await sshExec(target, 'nvidia-smi')).stdout.split('\n').slice(1, -1);
    expect(table.join('\n')).toMatch(/\|\s+87%\s+Default \|/);
    expect(table.join('\n')).toMatch(/\|\s+1\s+N\/A\s+N\/A\s+\d+\s+C\s+gpu-burn\s+22107MiB \|/);
    // Every line of the table is as wide as nvidia-smi's own.
    expect(new Set(table.filter((l) => l !== '').map((l) => l.length))).toEqual(new Set([91]));

    await sshExec(target, 'kill "$(cat burn.pid)"');
    await waitFor(async () => (await utilization(target)).every((u) => u === 0), {
      what: 'the GPUs to be idle again',
    });
    await api.destroy(id);
  });

  it('ends the load when the SSH session running gpu-burn closes', async () => {
    const { id, target } = await runningInstance(1);
    const conn = new Client();
    await new Promise<void>((resolve, reject) =>
      conn
        .on('ready', () => resolve())
        .on('error', reject)
        .connect({ host: target.host, port: target.port, username: 'root', privateKey: target.privateKey }),
    );
    await new Promise<void>((resolve, reject) =>
      conn.exec('gpu-burn', (err) => (err ? reject(err) : resolve())),
    );
    await waitFor(async () => (await utilization(target))[0] === 100, { what: 'the GPU to be busy' });
    conn.end();
    await waitFor(async () => (await utilization(target))[0] === 0, {
      what: 'the GPU to be idle after the session closed',
    });
    await api.destroy(id);
  });

  it('forgets GPU work when the instance stops, background work included', async () => {
    const { id, target } = await runningInstance(1);
    await sshExec(target, 'gpu-burn 600 > /dev/null 2>&1 &');
    await waitFor(async () => (await utilization(target))[0] === 100, { what: 'the GPU to be busy' });
    await api.setState(id, 'stopped');
    await waitForStatus(api, id, 'stopped');
    await api.setState(id, 'running');
    const running = await waitForStatus(api, id, 'running');
    expect(await utilization({ ...target, port: running.ssh_port! })).toEqual([0]);
    await api.destroy(id);
  });

  it('refuses gpu-burn arguments it cannot honour', async () => {
    const { id, target } = await runningInstance(1);
    const bad = await sshExec(target, 'gpu-burn -u 0 1; echo "rc=$?"; gpu-burn -i 3 1; echo "rc=$?"');
    expect(bad.stdout).toBe('rc=2\nrc=2\n');
    expect(bad.stderr).toContain('-u takes a whole percentage');
    expect(bad.stderr).toContain('there is no GPU 3');
    await api.destroy(id);
  });
});
