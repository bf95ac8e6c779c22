import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstanceByOperation } from '../../db/repositories/instances.ts';
import { getOperation, listOperations } from '../../db/repositories/operations.ts';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { loadConfig } from '../../src/config.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/queue/queue-names.ts';
import { silentLogger } from '../../src/log.ts';
import { type Runtime, startRuntime } from '../../src/runtime.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

describe('shutting down while a deploy runs', () => {
  let sim: Simulator;
  let g: TestGpuops;
  const workers: Runtime[] = [];

  beforeAll(async () => {
    // A boot of several seconds, so the deploy is still waiting for it when its worker stops.
    sim = await startSimulator({ timeScale: 0.3, offers: 600 });
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', role: 'bot', sim });
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await g?.close();
    await sim?.close();
  });

  async function worker(): Promise<Runtime> {
    const runtime = await startRuntime(loadConfig(g.env), { role: 'worker', logger: silentLogger });
    workers.push(runtime);
    return runtime;
  }

  it('hands the job back at once, without counting an attempt, and another worker finishes it with the one machine', async () => {
    const first = await worker();
    const { jobs } = await g.runtime.chat!.handle('deploy a 4090', g.context, g.surface);
    const [operation] = await listOperations(g.runtime.database.db, {});
    await waitFor(
      async () => (await findInstanceByOperation(g.runtime.database.db, operation!.id))?.provider_instance_id,
      {
        timeoutMs: 20_000,
        what: 'the rental',
      },
    );

    const closing = Date.now();
    await first.close();
    workers.splice(workers.indexOf(first), 1);
    expect(Date.now() - closing).toBeLessThan(6_000);
    const queue = new g.runtime.queueBackend.Queue(OPERATIONS_QUEUE, {
      connection: g.runtime.queueBackend.connection,
      prefix: g.runtime.queueBackend.prefix,
    });
    const job = await queue.getJob(operation!.id);
    const jobState = await job!.getState();
    await queue.close();
    expect(['delayed', 'waiting']).toContain(jobState);
    expect(job!.attemptsMade).toBe(0);
    expect(await getOperation(g.runtime.database.db, operation!.id)).toMatchObject({ state: 'running' });

    await worker();
    const final = await jobs[0]!;
    expect(final.state).toBe('succeeded');
    const state = await getSimState(sim);
    expect(state.instances.filter((i) => i.label === `gpuops-${operation!.id}`)).toHaveLength(1);
  }, 60_000);

  it('leaves a chat that stops following an operation with a last word that it continues', async () => {
    await worker();
    const { jobs } = await g.runtime.chat!.handle('deploy a 3090', g.context, g.surface);
    await g.runtime.watcher!.close();
    const last = await jobs[0]!;
    expect(last.state).not.toBe('succeeded');
    const ref = g.surface.progressRefs().at(-1)!;
    expect(g.surface.versionsOf(ref).at(-1)!.text).toContain('the operation continues on the workers');
  });
});
