import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../db/repositories/audit.ts';
import { getInstance, listInstances } from '../../db/repositories/instances.ts';
import { createOperation, finishOperation, getOperation } from '../../db/repositories/operations.ts';
import { failNext, getSimState, resetFailures, setFaultRate } from '../../src/cloud/sim/admin-client.ts';
import type { ProgressView } from '../../src/jobs/queue/progress.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { testBackends } from '../support/index.ts';

/**
 * Faults that used to leave records lying: each operation that fails must leave the instance as
 * the provider has it, with a way out, and a retry must work.
 */

/** One attempt per provider call and per job: a fault fails the operation at once. */
const NO_RETRIES = {
  GPUOPS_PROVIDER_RETRIES: '0',
  GPUOPS_JOB_ATTEMPTS: '1',
  GPUOPS_RECONCILE_INTERVAL_MS: '0',
};

function finalOf(g: TestGpuops): ProgressView {
  const ref = g.surface.progressRefs().at(-1)!;
  return g.surface.versionsOf(ref).at(-1)!.progress!;
}

async function deployed(g: TestGpuops): Promise<{ ref: string; id: number; providerId: string }> {
  await g.say('deploy a 3090');
  const final = finalOf(g);
  expect(final.state).toBe('succeeded');
  const id = Number(final.result!.instance.slice(2));
  const row = await getInstance(g.runtime.database.db, id);
  return { ref: final.result!.instance, id, providerId: row!.provider_instance_id! };
}

async function liveAtProvider(g: TestGpuops, providerId: string): Promise<boolean> {
  const state = await getSimState(g.sim);
  return state.instances.some((i) => String(i.id) === providerId && !i.destroyed);
}

describe.each(testBackends)('operations that fail leave the truth behind, on $name', (backend) => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: backend.db, queue: backend.queue, env: NO_RETRIES });
  });
  afterEach(async () => {
    await resetFailures(g.sim);
    g.surface.clear();
  });
  afterAll(async () => {
    await g?.close();
  });

  it('a destroy the provider refuses leaves the instance running, billing in the list and destroyable; the retry destroys it', async () => {
    const { ref, id, providerId } = await deployed(g);
    await failNext(g.sim, { endpoint: 'destroy', status: 502, count: 1 });
    g.surface.clear();
    await g.say(`destroy ${ref}`, { confirm: true });
    const failed = finalOf(g);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('provider_unavailable');
    expect(failed.error?.message).toContain(
      `${ref} is running, as the provider says; you can pause or destroy it.`,
    );
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'running' });
    expect(await liveAtProvider(g, providerId)).toBe(true);

    g.surface.clear();
    await g.say('list my instances');
    const listing = g.surface.posts('reply').join('\n');
    expect(listing).toMatch(/1 billing at \$\d/);
    const line = listing.split('\n').find((l) => l.startsWith(`${ref} `))!;
    expect(line).toContain('running');
    expect(line).not.toContain('⚠');

    g.surface.clear();
    await g.say(`destroy ${ref}`, { confirm: true });
    expect(finalOf(g)).toMatchObject({ state: 'succeeded', kind: 'destroy' });
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'destroyed' });
    expect(await liveAtProvider(g, providerId)).toBe(false);
  });

  it('a pause the provider refuses leaves the instance running and pausable; pause and resume then work', async () => {
    const { ref, id } = await deployed(g);
    await failNext(g.sim, { endpoint: 'stop', status: 503, count: 1 });
    g.surface.clear();
    await g.say(`pause ${ref}`);
    const failed = finalOf(g);
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toContain(`${ref} is running, as the provider says`);
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'running' });

    g.surface.clear();
    await g.say(`pause ${ref}`);
    expect(finalOf(g)).toMatchObject({ state: 'succeeded', kind: 'pause' });
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'stopped' });

    await failNext(g.sim, { endpoint: 'start', status: 500, count: 1 });
    g.surface.clear();
    await g.say(`resume ${ref}`);
    expect(finalOf(g).error?.message).toContain(
      `${ref} is paused (stopped), as the provider says; you can resume or destroy it.`,
    );
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'stopped' });

    g.surface.clear();
    await g.say(`resume ${ref}`);
    expect(finalOf(g)).toMatchObject({ state: 'succeeded', kind: 'resume' });
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'running' });
  });

  /** Pauses the instance while the provider answers neither the pause nor the settling after it. */
  async function pauseWhileProviderDown(ref: string, id: number): Promise<void> {
    await setFaultRate(g.sim, { rate: 1, endpoints: ['show', 'stop'], statuses: [503] });
    g.surface.clear();
    await g.say(`pause ${ref}`);
    const failed = finalOf(g);
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toContain('could not reach the provider');
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'stopping' });
  }

  function listedLine(ref: string): string {
    return g.surface
      .posts('reply')
      .join('\n')
      .split('\n')
      .find((l) => l.startsWith(`${ref} `))!;
  }

  function statusLine(ref: string): string {
    return g.surface
      .posts('reply')
      .join('\n')
      .split('\n')
      .find((l) => l.startsWith(`${ref}: `))!;
  }

  it('a pause that failed and could not settle leaves "stopping" only until the next list: with the provider back and no reconciler, the list shows running and the pause then works', async () => {
    const { ref, id } = await deployed(g);
    await pauseWhileProviderDown(ref, id);
    await resetFailures(g.sim);

    g.surface.clear();
    await g.say('list my instances');
    const line = listedLine(ref);
    expect(line).toContain('running');
    expect(line).not.toContain('stopping');
    expect(line).not.toContain('⚠');
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({
      state: 'running',
      provider_status: 'running',
    });
    const audit = await listAudit(g.runtime.database.db, { target: ref });
    expect(audit.find((a) => a.action === 'reconcile')?.details).toMatchObject({
      from: 'stopping',
      to: 'running',
      provider: 'running',
      heard_from: 'list_instances',
    });

    g.surface.clear();
    await g.say(`pause ${ref}`);
    expect(finalOf(g)).toMatchObject({ state: 'succeeded', kind: 'pause' });
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'stopped' });
  });

  it('a new request for an instance left "stopping" asks the provider first: while it is down the answer says so, once it is back the pause runs', async () => {
    const { ref, id } = await deployed(g);
    await pauseWhileProviderDown(ref, id);

    g.surface.clear();
    await g.say(`pause ${ref}`);
    expect(g.surface.progressRefs()).toHaveLength(0);
    const refusal = g.surface
      .errors()
      .map((e) => e.text)
      .join('\n');
    expect(refusal).toContain(`${ref} is stopping in gpuops's records`);
    expect(refusal).toContain('Try again in a minute');
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'stopping' });

    await resetFailures(g.sim);
    g.surface.clear();
    await g.say(`pause ${ref}`);
    expect(finalOf(g)).toMatchObject({ state: 'succeeded', kind: 'pause' });
    expect(await getInstance(g.runtime.database.db, id)).toMatchObject({ state: 'stopped' });
  });

  it('the list leaves a "stopping" record alone while an operation of the instance is queued, and settles it once that operation has ended', async () => {
    const { ref, id } = await deployed(g);
    await pauseWhileProviderDown(ref, id);
    await resetFailures(g.sim);
    const db = g.runtime.database.db;
    // Queued but never enqueued: it owns the instance and no worker will move it.
    const { operation } = await createOperation(db, {
      id: `op-settle-${id}-${Date.now()}`,
      kind: 'snapshot',
      args: JSON.stringify({ instance: ref }),
      requester: 'alice',
      channel: g.context.channel,
      reply_to: JSON.stringify(g.context.replyTo),
      state: 'queued',
      instance_id: id,
      step: null,
      progress: null,
    });

    g.surface.clear();
    await g.say('list my instances');
    expect(listedLine(ref)).toContain('stopping');
    g.surface.clear();
    await g.say(`status of ${ref}`);
    expect(statusLine(ref)).toContain(', stopping');
    expect(await getInstance(db, id)).toMatchObject({ state: 'stopping' });

    await finishOperation(db, operation.id, {
      state: 'failed',
      error: { code: 'cancelled', message: 'cancelled by the test' },
    });
    g.surface.clear();
    await g.say(`status of ${ref}`);
    expect(statusLine(ref)).toContain(', running');
    expect(await getInstance(db, id)).toMatchObject({ state: 'running' });
  });

  it('a deploy whose rental never went through leaves no instance record, and says nothing bills', async () => {
    const before = await listInstances(g.runtime.database.db, { channel: g.context.channel });
    await failNext(g.sim, { endpoint: 'create', status: 502, count: 5 });
    await g.say('deploy a 4090');
    const final = finalOf(g);
    expect(final.state).toBe('failed');
    expect(final.error?.message).toContain('No machine was rented, so nothing bills.');
    expect(final.error?.message).not.toMatch(/before renting again/);
    const after = await listInstances(g.runtime.database.db, { channel: g.context.channel });
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
    const state = await getSimState(g.sim);
    expect(state.instances.filter((i) => i.label === `gpuops-${final.operationId}`)).toHaveLength(0);
    expect(await getOperation(g.runtime.database.db, final.operationId)).toMatchObject({
      state: 'failed',
      instance_id: null,
    });
  });
});

describe('a failed attempt that will be retried', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      env: { GPUOPS_PROVIDER_RETRIES: '0', GPUOPS_JOB_ATTEMPTS: '3', GPUOPS_RECONCILE_INTERVAL_MS: '0' },
    });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('is retried, not ended: the next attempt rents the one machine', async () => {
    await failNext(g.sim, { endpoint: 'create', status: 502, count: 1 });
    await g.say('deploy a 3090');
    const final = finalOf(g);
    expect(final.state).toBe('succeeded');
    expect(await getOperation(g.runtime.database.db, final.operationId)).toMatchObject({ attempts: 2 });
    const state = await getSimState(g.sim);
    expect(state.instances.filter((i) => i.label === `gpuops-${final.operationId}`)).toHaveLength(1);
  });
});
