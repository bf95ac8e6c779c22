import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob, getJob, setJobOperation } from '../../db/repositories/jobs.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { jobSpecSchema } from '../../src/domain/jobs.ts';
import { spawnWorker } from '../support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

/**
 * A worker killed while its job's command runs: the command goes on on the machine (it runs
 * detached), the next worker takes the job over, follows the same run from the last log byte kept,
 * ends the job and releases its machine. No second machine is rented, and none is left billing.
 */
describe('a job whose worker is killed mid-run', () => {
  let sim: Simulator;
  let g: TestGpuops;
  const workers: ChildProcess[] = [];
  const output: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0.01, offers: 600 });
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      role: 'bot',
      sim,
      env: {
        GPUOPS_JOB_LOCK_MS: '1500',
        GPUOPS_POLL_INTERVAL_MS: '100',
        GPUOPS_HEALTH_INTERVAL_MS: '0',
        GPUOPS_JOB_POLL_MS: '200',
      },
    });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await g?.close();
    await sim?.close();
  });

  it('is finished by another worker from where it stood, with nothing left billing', async () => {
    const first = spawnWorker(g.env, output);
    workers.push(first);
    const db = g.runtime.database.db;
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({
        command:
          'for i in $(seq 1 30); do echo "line $i"; sleep 0.2; done\necho kept > "$GPUOPS_OUTPUT/result.txt"',
        target: { kind: 'rent', gpu: 'rtx-4090', count: 1, image: 'pytorch/pytorch:latest', disk_gb: 20 },
      }),
    });
    const { operationId } = await g.runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
    });
    await setJobOperation(db, job.id, operationId);
    await waitFor(async () => /line [5-9]/.test((await getJob(db, job.id))?.log_tail ?? ''), {
      timeoutMs: 60_000,
      what: `the command to print a few lines; workers said:\n${output.join('')}`,
    });
    first.kill('SIGKILL');
    workers.push(spawnWorker(g.env, output));

    const operation = await waitFor(
      async () => {
        const op = await getOperation(db, operationId);
        return op?.state === 'succeeded' || op?.state === 'failed' ? op : undefined;
      },
      { timeoutMs: 120_000, what: 'the job to end on the second worker' },
    );
    expect(operation.state, `${JSON.stringify(operation.error)}\n${output.join('')}`).toBe('succeeded');
    const ended = (await getJob(db, job.id))!;
    expect(ended.attempt).toBe(1);
    expect(ended.log_tail).toMatch(/line 30/);
    expect(ended.artifacts?.map((a) => a.path)).toEqual(['result.txt']);
    const state = await getSimState(g.sim);
    const rented = state.instances.filter((i) => (i.label ?? '').startsWith(`gpuops-${operationId}`));
    expect(rented).toHaveLength(1);
    expect(rented.filter((i) => !i.destroyed)).toEqual([]);
  }, 180_000);
});
