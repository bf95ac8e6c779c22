import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance, insertInstance, listInstances } from '../../db/repositories/instances.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import {
  applyMarketPressure,
  failHost,
  failNext,
  getSimState,
  makeOfferGone,
  resetFailures,
} from '../../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import type { ProgressView } from '../../src/jobs/queue/progress.ts';
import { spawnWorker } from '../support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

function finalOf(g: TestGpuops): ProgressView {
  const ref = g.surface.progressRefs().at(-1)!;
  return g.surface.versionsOf(ref).at(-1)!.progress!;
}

describe('when the marketplace misbehaves during a deploy', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: 'postgres', queue: 'redis' });
  });
  afterEach(async () => {
    await resetFailures(g.sim);
    g.surface.clear();
  });
  afterAll(async () => {
    await g?.close();
  });

  it('retries through HTTP 429 answers and still deploys', async () => {
    await failNext(g.sim, { endpoint: 'search', status: 429, count: 2 });
    await failNext(g.sim, { endpoint: 'create', status: 429, count: 1 });
    await g.say('deploy a 3090 under $0.40/hr');
    const final = finalOf(g);
    expect(final.state).toBe('succeeded');
    expect(final.result?.gpu).toBe('RTX 3090');
    const state = await getSimState(g.sim);
    expect(state.instances.filter((i) => i.label === `gpuops-${final.operationId}`)).toHaveLength(1);
  });

  it('finds the machine it rented when the answer to the rental was lost, instead of renting another', async () => {
    // The rental happens, but gpuops only sees a 502: it must look before trying again.
    await failNext(g.sim, { endpoint: 'create', status: 502, count: 1, applied: true });
    await g.say('deploy a 3090');
    const final = finalOf(g);
    expect(final.state).toBe('succeeded');
    const state = await getSimState(g.sim);
    const mine = state.instances.filter((i) => i.label === `gpuops-${final.operationId}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.destroyed).toBe(false);
  });

  it('adopts a machine an earlier attempt rented but never wrote down, instead of renting another', async () => {
    // As if a worker died between the provider's "yes" and the database write.
    const operationId = 'op-adoptme01';
    const label = `gpuops-${operationId}`;
    const [offer] = await g.runtime.provider.searchOffers({ gpuNames: ['RTX 4090'], numGpus: 1, limit: 1 });
    const providerId = await g.runtime.provider.createInstance({
      offerId: offer!.id,
      image: 'pytorch/pytorch:latest',
      diskGb: 40,
      label,
    });
    await insertInstance(g.runtime.database.db, {
      provider: 'vast',
      provider_instance_id: null,
      offer_id: offer!.id,
      label,
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      price_per_hour: offer!.pricePerHour,
      state: 'provisioning',
      image: 'pytorch/pytorch:latest',
      disk_gb: 40,
      location: offer!.location,
      owner: 'alice',
      channel: g.context.channel,
      operation_id: operationId,
    });
    await g.runtime.operations.enqueue({
      kind: 'deploy',
      args: { gpu: 'rtx-4090', count: 1, image: 'pytorch/pytorch:latest', disk_gb: 40 },
      context: g.context,
      operationId,
    });
    const final = await g.runtime.watcher!.watch(operationId);
    expect(final.state).toBe('succeeded');
    const state = await getSimState(g.sim);
    const mine = state.instances.filter((i) => i.label === label);
    expect(mine).toHaveLength(1);
    expect(String(mine[0]!.id)).toBe(providerId);
    const row = await getInstance(g.runtime.database.db, Number(final.instance!.slice(2)));
    expect(row).toMatchObject({ provider_instance_id: providerId, state: 'running' });
  });

  it('fails clearly when the host dies while starting, and leaves no instance running or billed', async () => {
    await failHost(g.sim, { on: 'next-create' });
    await g.say('deploy an A100 80GB');
    const final = finalOf(g);
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('host_failed');
    expect(final.error?.message).toMatch(
      /failed while starting.*The machine it rented was released, so nothing bills\./,
    );
    const state = await getSimState(g.sim);
    const mine = state.instances.filter((i) => i.label === `gpuops-${final.operationId}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.destroyed).toBe(true);
    const row = await getInstance(g.runtime.database.db, Number(final.instance!.slice(2)));
    expect(row).toMatchObject({ state: 'destroyed', provider_status: 'gone' });
    const op = await getOperation(g.runtime.database.db, final.operationId);
    expect(op).toMatchObject({ state: 'failed', error: { code: 'host_failed' } });
  });

  it('moves on to the next best offer when the chosen one is taken at the last moment', async () => {
    await makeOfferGone(g.sim, { on: 'next-create' });
    await g.say('deploy a 4090');
    const ref = g.surface.progressRefs().at(-1)!;
    const views = g.surface.versionsOf(ref).map((m) => m.progress!);
    const final = views.at(-1)!;
    expect(final.state).toBe('succeeded');
    const state = await getSimState(g.sim);
    expect(
      state.instances.filter((i) => i.label === `gpuops-${final.operationId}` && !i.destroyed),
    ).toHaveLength(1);
  });

  it('says a paused instance cannot resume when its GPUs were taken, and offers to move it', async () => {
    await g.say('deploy a 3090');
    const deployed = finalOf(g);
    expect(deployed.state).toBe('succeeded');
    const instance = deployed.result!.instance;
    await g.say(`pause ${instance}`);
    expect(finalOf(g)).toMatchObject({ state: 'succeeded', kind: 'pause' });
    const row = await getInstance(g.runtime.database.db, Number(instance.slice(2)));
    await applyMarketPressure(g.sim, { instance_id: Number(row!.provider_instance_id) });

    g.surface.clear();
    await g.say(`resume ${instance}`);
    const resumed = finalOf(g);
    expect(resumed.state).toBe('failed');
    expect(resumed.error?.code).toBe('resume_unavailable');
    expect(resumed.error?.message).toContain(`deploy 1x RTX 3090`);
    expect(resumed.error?.message).toContain(`destroy ${instance}`);
    // Nothing pretends it is running: the instance is still paused and can be destroyed.
    expect((await getInstance(g.runtime.database.db, row!.id))!.state).toBe('stopped');
    const op = await getOperation(g.runtime.database.db, resumed.operationId);
    expect(op!.attempts).toBe(1);
  });

  it('shows in the instance list when a running machine has since died at the provider', async () => {
    await g.say('deploy a 3090');
    const final = finalOf(g);
    expect(final.state).toBe('succeeded');
    const instance = final.result!.instance;
    const row = await getInstance(g.runtime.database.db, Number(instance.slice(2)));
    await failHost(g.sim, { instance_id: Number(row!.provider_instance_id) });

    g.surface.clear();
    await g.say('list my instances');
    const listing = g.surface.posts('reply').join('\n');
    const line = listing.split('\n').find((l) => l.startsWith(`${instance} `))!;
    expect(line).toContain('running ⚠ provider: offline');
    const adviceLine = listing.split('\n').find((l) => l.includes('the provider no longer reports'))!;
    expect(adviceLine.split(':')[0]!.split(', ')).toContain(instance);
    expect(adviceLine).toMatch(/"destroy i-\d+" to stop any billing/);
    expect((await getInstance(g.runtime.database.db, row!.id))!.provider_status).toBe('offline');
  });

  it('refuses at once when no offer matches, naming the cheapest price that would', async () => {
    await g.say('deploy an H100 SXM under 10 cents an hour');
    expect(g.surface.progressRefs()).toHaveLength(0);
    const [error] = g.surface.errors();
    expect(error!.code).toBe('no_matching_offer');
    expect(error!.text).toMatch(/cheapest 1x H100 80GB SXM right now is \$\d+\.\d+\/hr/);
  });
});

describe('a worker killed in the middle of a deploy', () => {
  let sim: Simulator;
  let g: TestGpuops;
  const workers: ChildProcess[] = [];
  const workerOutput: string[] = [];

  beforeAll(async () => {
    // Slow enough that the deploy is still waiting for the machine when its worker dies.
    sim = await startSimulator({ timeScale: 0.25, offers: 600 });
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      role: 'bot',
      sim,
      env: { GPUOPS_JOB_LOCK_MS: '2000' },
    });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await g?.close();
    await sim?.close();
  });

  function startWorker(): ChildProcess {
    const child = spawnWorker(g.env, workerOutput);
    workers.push(child);
    return child;
  }

  it('is finished by another worker without renting a second machine', async () => {
    const first = startWorker();
    const handled = g.runtime.chat!.handle('deploy a 4090', g.context, g.surface);
    const { jobs } = await handled;
    expect(jobs).toHaveLength(1);

    // Kill the worker once the rental exists but before the machine is running.
    const rented = await waitFor(
      async () => {
        const state = await getSimState(sim);
        return state.instances.find((i) => i.label?.startsWith('gpuops-op-'));
      },
      // Generous: under a full parallel test run a fresh worker process takes a while to start.
      { timeoutMs: 75_000, intervalMs: 50 },
    ).catch((err: unknown) => {
      throw new Error(`no rental appeared; worker said:\n${workerOutput.join('')}`, { cause: err });
    });
    expect(rented.actual_status).not.toBe('running');
    first.kill('SIGKILL');

    startWorker();
    const final = await jobs[0]!;
    expect(final.state).toBe('succeeded');

    const state = await getSimState(sim);
    const rentals = state.instances.filter((i) => i.label === `gpuops-${final.operationId}`);
    expect(rentals).toHaveLength(1);
    expect(rentals[0]!.destroyed).toBe(false);
    const rows = await listInstances(g.runtime.database.db, { channel: g.context.channel });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).toBe('running');
  }, 150_000);
});
