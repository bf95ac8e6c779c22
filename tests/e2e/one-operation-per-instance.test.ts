import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertInstance } from '../../db/repositories/instances.ts';
import { createOperation, getOperation, listOperations } from '../../db/repositories/operations.ts';
import type { InstanceRow } from '../../db/schema.ts';
import { newOperationId } from '../../src/jobs/queue/operation-queue.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { testBackends } from '../support/index.ts';

/**
 * A bot with no worker: operations stay queued, as they do while every worker is busy, so the
 * rules about operations in flight can be seen.
 */
describe.each(testBackends)('one operation per instance at a time, on $name', (backend) => {
  let g: TestGpuops;
  let instance: InstanceRow;

  beforeAll(async () => {
    g = await startTestGpuops({ db: backend.db, queue: backend.queue, role: 'bot' });
  });
  afterEach(() => g.surface.clear());
  afterAll(async () => {
    await g?.close();
  });

  async function runningInstance(): Promise<InstanceRow> {
    return insertInstance(g.runtime.database.db, {
      provider: 'vast',
      provider_instance_id: String(900_000 + Math.floor(Math.random() * 99_999)),
      offer_id: null,
      label: `gpuops-${newOperationId()}`,
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      price_per_hour: 0.4,
      state: 'running',
      image: 'pytorch/pytorch:latest',
      disk_gb: 40,
      location: null,
      owner: 'alice',
      channel: g.context.channel,
      operation_id: newOperationId(),
    });
  }

  /** Sends a line without waiting for the jobs it starts (no worker will run them here). */
  async function say(text: string, confirm?: boolean) {
    if (confirm !== undefined) g.surface.confirmations.push(confirm);
    return g.runtime.chat!.handle(text, g.context, g.surface);
  }

  async function inFlight(id: number) {
    const ops = await listOperations(g.runtime.database.db, {
      channel: g.context.channel,
      states: ['queued', 'running'],
    });
    return ops.filter((o) => o.instance_id === id);
  }

  it('refuses a second operation while one is queued, saying what is under way, and starts nothing', async () => {
    instance = await runningInstance();
    const first = await say(`pause i-${instance.id}`);
    expect(first.calls).toHaveLength(1);
    const [pause] = await inFlight(instance.id);
    expect(pause).toMatchObject({ kind: 'pause', state: 'queued' });

    g.surface.clear();
    const second = await say(`pause i-${instance.id}`);
    expect(second.jobs).toHaveLength(0);
    const [error] = g.surface.errors();
    expect(error!.code).toBe('operation_in_flight');
    expect(error!.text).toContain(`i-${instance.id} is busy: it is being paused (${pause!.id}, queued)`);
    expect(await inFlight(instance.id)).toHaveLength(1);
  });

  it('lets a destroy replace a pause that has not started, which ends as cancelled', async () => {
    const [pause] = await inFlight(instance.id);
    const handled = await say(`destroy i-${instance.id}`, true);
    expect(handled.jobs).toHaveLength(1);
    const now = await inFlight(instance.id);
    expect(now).toHaveLength(1);
    expect(now[0]).toMatchObject({ kind: 'destroy', state: 'queued' });
    expect(await getOperation(g.runtime.database.db, pause!.id)).toMatchObject({
      state: 'failed',
      error: { code: 'cancelled', message: expect.stringContaining(now[0]!.id) },
    });
    // The pause's own progress message ends, saying it was cancelled.
    const final = await g.runtime.watcher!.watch(pause!.id);
    expect(final).toMatchObject({ state: 'failed', error: { code: 'cancelled' } });
  });

  it('refuses a pause, a resume or a second destroy while the destroy is in flight', async () => {
    for (const line of [`pause i-${instance.id}`, `resume i-${instance.id}`, `destroy i-${instance.id}`]) {
      g.surface.clear();
      const handled = await say(line, true);
      expect(handled.jobs).toHaveLength(0);
      expect(g.surface.errors()[0]?.text).toContain('it is being destroyed');
    }
    // Nothing was asked in vain: the refusal came before any confirmation.
    expect(g.surface.events.filter((e) => e.type === 'confirm')).toHaveLength(0);

    // And the status the refusal points to shows what is under way.
    g.surface.clear();
    await say(`status of i-${instance.id}`);
    expect(g.surface.posts('reply').join('\n')).toMatch(/now: being destroyed \(op-[0-9a-f]+, queued\)/);
  });

  it('lists a deploy that has not rented yet as under way', async () => {
    await say('deploy a 4090');
    const [deploy] = (await listOperations(g.runtime.database.db, { channel: g.context.channel })).filter(
      (o) => o.kind === 'deploy',
    );
    g.surface.clear();
    await say('list my instances');
    expect(g.surface.posts('reply').join('\n')).toContain(
      `1 deploy under way, not rented yet: ${deploy!.id} (queued).`,
    );
  });

  it('lets the database refuse the second of two operations created at the same moment', async () => {
    const other = await runningInstance();
    const attempt = (kind: 'pause' | 'destroy') =>
      createOperation(g.runtime.database.db, {
        id: newOperationId(),
        kind,
        args: JSON.stringify({ instance: `i-${other.id}` }),
        requester: 'alice',
        channel: g.context.channel,
        reply_to: JSON.stringify(g.context.replyTo),
        state: 'queued',
        instance_id: other.id,
        step: null,
      });
    const results = await Promise.allSettled([attempt('pause'), attempt('destroy'), attempt('pause')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'operation_in_flight' });
    }
  });
});
