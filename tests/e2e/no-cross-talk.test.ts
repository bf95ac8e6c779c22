import { afterEach, describe, expect, it } from 'vitest';
import { getOperation, listOperations } from '../../db/repositories/operations.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { loadConfig } from '../../src/config.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/queue/queue-names.ts';
import { silentLogger } from '../../src/log.ts';
import { type Runtime, startRuntime } from '../../src/runtime.ts';
import { startTestGpuops } from '../support/gpuops-harness.ts';
import { uniquePrefix } from '../support/index.ts';

/** Two gpuops deployments (each its own database) on one machine and one Redis. */
describe('two deployments on one Redis', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  async function deployment(opts: { sim: Simulator; env?: Record<string, string>; role?: 'bot' | 'all' }) {
    const g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      sim: opts.sim,
      role: opts.role ?? 'all',
      env: opts.env ?? {},
    });
    open.push(g);
    return g;
  }

  it('get queues of their own by default, and each runs its own jobs', async () => {
    const sim = await startSimulator({ timeScale: 0.01, offers: 600 });
    open.push(sim);
    // No prefix configured: each takes its deployment's own.
    const a = await deployment({ sim, env: { GPUOPS_QUEUE_PREFIX: '' } });
    const b = await deployment({ sim, env: { GPUOPS_QUEUE_PREFIX: '' } });
    expect(a.runtime.deploymentId).not.toBe(b.runtime.deploymentId);
    expect(a.runtime.queueBackend.prefix).toMatch(/^gpuops-[0-9a-f]{12}$/);
    expect(a.runtime.queueBackend.prefix).not.toBe(b.runtime.queueBackend.prefix);

    await Promise.all([a.say('deploy a 3090'), b.say('deploy a 3090')]);
    for (const g of [a, b]) {
      const ops = await listOperations(g.runtime.database.db, {});
      expect(ops.map((o) => o.state)).toEqual(['succeeded']);
    }
  });

  it("hand each other's jobs back untouched when a prefix is shared by mistake", async () => {
    const sim = await startSimulator({ timeScale: 0.01, offers: 600 });
    open.push(sim);
    const prefix = uniquePrefix('shared');
    // A has no worker of its own yet; B's worker is the only one on the shared queue.
    const a = await deployment({ sim, role: 'bot', env: { GPUOPS_QUEUE_PREFIX: prefix } });
    const b = await deployment({ sim, env: { GPUOPS_QUEUE_PREFIX: prefix } });

    const handled = await a.runtime.chat!.handle('deploy a 3090', a.context, a.surface);
    const operationId = (await listOperations(a.runtime.database.db, {}))[0]!.id;
    await new Promise((r) => setTimeout(r, 3_000));
    // B's worker took the job and gave it back: A's operation is still waiting, not failed as
    // "not in the database".
    const queue = new a.runtime.queueBackend.Queue(OPERATIONS_QUEUE, {
      connection: a.runtime.queueBackend.connection,
      prefix,
    });
    const job = await queue.getJob(operationId);
    await queue.close();
    expect(job!.attemptsStarted).toBeGreaterThanOrEqual(1);
    expect(job!.attemptsMade).toBe(0);
    expect(await getOperation(a.runtime.database.db, operationId)).toMatchObject({ state: 'queued' });

    // A's own worker starts and runs it to the end. B's stops first: with both polling, which of
    // them takes the job next is luck, and B would only hand it back again.
    await b.runtime.worker!.close();
    const worker: Runtime = await startRuntime(loadConfig(a.env), { role: 'worker', logger: silentLogger });
    open.push(worker);
    const [final] = await Promise.all(handled.jobs);
    expect(final).toMatchObject({ state: 'succeeded', kind: 'deploy' });
  }, 60_000);
});
