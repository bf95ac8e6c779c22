import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstanceByOperation } from '../../db/repositories/instances.ts';
import { getOperation, listOperations } from '../../db/repositories/operations.ts';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { spawnWorker } from '../support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

/**
 * BullMQ fails a job that stalled more than its limit without running gpuops's code. The
 * operation must still end, with a reason, its machine released and its watcher told.
 */
describe.each([
  { name: 'redis+postgres', queue: 'redis' as const },
  { name: 'postgres-queue on postgres', queue: 'postgres' as const },
])('a deploy whose workers are killed more often than the stall limit, on $name', ({ queue }) => {
  let sim: Simulator;
  let g: TestGpuops;
  const workers: ChildProcess[] = [];
  const output: string[] = [];

  beforeAll(async () => {
    // A boot of about two minutes: the deploy is still waiting for it through every kill.
    sim = await startSimulator({ timeScale: 4, offers: 600 });
    g = await startTestGpuops({
      db: 'postgres',
      queue,
      role: 'bot',
      sim,
      env: {
        GPUOPS_JOB_LOCK_MS: '1500',
        GPUOPS_JOB_MAX_STALLS: '2',
        GPUOPS_DEPLOY_TIMEOUT_MS: '600000',
        GPUOPS_POLL_INTERVAL_MS: '200',
      },
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

  it('ends as abandoned, releases the machine it rented and tells its watcher', async () => {
    const { jobs } = await g.runtime.chat!.handle('deploy a 4090', g.context, g.surface);
    expect(jobs).toHaveLength(1);
    const [operation] = await listOperations(g.runtime.database.db, {});
    const kills = 3;
    for (let attempt = 1; attempt <= kills; attempt++) {
      const worker = startWorker();
      // Killed once it has taken the job up again (the operation counts each start).
      await waitFor(
        async () => {
          const op = await getOperation(g.runtime.database.db, operation!.id);
          return (
            op!.attempts >= attempt &&
            (attempt > 1 ||
              (await findInstanceByOperation(g.runtime.database.db, op!.id))?.provider_instance_id)
          );
        },
        { timeoutMs: 60_000, intervalMs: 50, what: `worker ${attempt} to take the job` },
      ).catch((err: unknown) => {
        throw new Error(`worker ${attempt} never took the job; workers said:\n${output.join('')}`, {
          cause: err,
        });
      });
      worker.kill('SIGKILL');
    }
    // The next worker finds a job BullMQ has given up on.
    startWorker();
    const final = await jobs[0]!;
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('abandoned');
    expect(final.error?.message).toContain('The workers running it stopped too many times');
    expect(final.error?.message).toContain('The machine it rented was released, so nothing bills.');

    const op = await getOperation(g.runtime.database.db, operation!.id);
    expect(op).toMatchObject({ state: 'failed', attempts: kills });
    const row = await findInstanceByOperation(g.runtime.database.db, operation!.id);
    expect(row).toMatchObject({ state: 'destroyed' });
    const state = await getSimState(sim);
    const rentals = state.instances.filter((i) => i.label === `gpuops-${operation!.id}`);
    expect(rentals).toHaveLength(1);
    expect(rentals[0]!.destroyed).toBe(true);
  }, 180_000);
});
