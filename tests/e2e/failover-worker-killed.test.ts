import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failoverOfOperation } from '../../db/repositories/failovers.ts';
import { getInstance } from '../../db/repositories/instances.ts';
import { getOperation, listOperations } from '../../db/repositories/operations.ts';
import { failHost, getSimState } from '../../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { spawnWorker } from '../support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

/**
 * A worker killed in the middle of a failover, after it rented the replacement: the next worker
 * resumes the same operation, adopts that replacement (it carries the operation's label) and
 * finishes; no second machine is ever rented.
 */
describe('a failover whose worker is killed after renting the replacement', () => {
  let sim: Simulator;
  let g: TestGpuops;
  const workers: ChildProcess[] = [];
  const output: string[] = [];

  beforeAll(async () => {
    // Boots of a few seconds, so the kill lands while the replacement is starting.
    sim = await startSimulator({ timeScale: 0.1, offers: 600 });
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      role: 'bot',
      sim,
      env: { GPUOPS_JOB_LOCK_MS: '1500', GPUOPS_POLL_INTERVAL_MS: '100', GPUOPS_HEALTH_INTERVAL_MS: '0' },
    });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await g?.close();
    await sim?.close();
  });

  function startWorker(): ChildProcess {
    const child = spawnWorker(g.env, output);
    workers.push(child);
    return child;
  }

  it('resumes on another worker, adopts the replacement and rents nothing more', async () => {
    const first = startWorker();
    const id = await g.deploy('deploy a 4090').catch((err: unknown) => {
      throw new Error(`deploy failed; workers said:\n${output.join('')}`, { cause: err });
    });
    await g.ssh(id, 'mkdir -p out && echo "epoch 7" > out/progress.txt');
    expect((await g.follow(`snapshot i-${id}`)).state).toBe('succeeded');
    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(g.sim, { instance_id: Number(old.provider_instance_id) });

    g.surface.confirmations.push(true);
    const { jobs } = await g.runtime.chat!.handle(`failover i-${id}`, g.context, g.surface);
    expect(jobs).toHaveLength(1);
    const operationId = await waitFor(
      async () => {
        const ops = await listOperations(g.runtime.database.db, {});
        const failover = ops.find((o) => o.kind === 'failover');
        if (!failover) return undefined;
        const row = await failoverOfOperation(g.runtime.database.db, failover.id);
        return row?.new_provider_instance_id ? failover.id : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 25, what: 'the replacement to be rented' },
    );
    first.kill('SIGKILL');
    startWorker();

    const final = await jobs[0]!;
    expect(final, JSON.stringify(final.error)).toMatchObject({ state: 'succeeded', kind: 'failover' });
    const op = await getOperation(g.runtime.database.db, operationId);
    expect(op!.attempts).toBeGreaterThanOrEqual(2);
    const sim = await getSimState(g.sim);
    expect(sim.instances.filter((i) => i.label === `gpuops-${operationId}`)).toHaveLength(1);
    expect(await g.ssh(id, 'cat out/progress.txt')).toBe('epoch 7\n');
  }, 180_000);
});
