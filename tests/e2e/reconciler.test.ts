import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance, insertInstanceForOperation, updateInstance } from '../../db/repositories/instances.ts';
import { listNotices } from '../../db/repositories/notices.ts';
import { createOperation, finishOperation, getOperation } from '../../db/repositories/operations.ts';
import { failHost, getSimState } from '../../src/cloud/sim/admin-client.ts';
import { failOperation } from '../../src/jobs/operations/operation-worker.ts';
import { deployLabel } from '../../src/jobs/operations/rental-label.ts';
import type { WorkerServices } from '../../src/jobs/queue/job-context.ts';
import { newOperationId } from '../../src/jobs/queue/operation-queue.ts';
import { jobStatesOn, reconcile } from '../../src/jobs/upkeep/reconciler.ts';
import { silentLogger } from '../../src/log.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { testBackends, waitFor } from '../support/index.ts';

const GRACE_MS = 60_000;

describe.each(testBackends)('the reconciler, on $name', (backend) => {
  let g: TestGpuops;
  let services: WorkerServices;
  let jobs: ReturnType<typeof jobStatesOn>;

  beforeAll(async () => {
    g = await startTestGpuops({
      db: backend.db,
      queue: backend.queue,
      env: { GPUOPS_RECONCILE_INTERVAL_MS: '400', GPUOPS_ORPHAN_GRACE_MS: String(GRACE_MS) },
    });
    const { runtime } = g;
    services = {
      config: runtime.config,
      db: runtime.database.db,
      provider: runtime.provider,
      sshKey: runtime.sshKey,
      log: silentLogger,
      deploymentId: runtime.deploymentId,
    };
    jobs = jobStatesOn(runtime.queueBackend);
  });
  afterAll(async () => {
    await jobs?.close();
    await g?.close();
  });

  async function rent(label: string): Promise<string> {
    const [offer] = await g.runtime.provider.searchOffers({ gpuNames: ['RTX 3090'], numGpus: 1, limit: 1 });
    return g.runtime.provider.createInstance({
      offerId: offer!.id,
      image: 'pytorch/pytorch:latest',
      diskGb: 40,
      label,
    });
  }

  async function alive(providerId: string): Promise<boolean> {
    const state = await getSimState(g.sim);
    return state.instances.some((i) => String(i.id) === providerId && !i.destroyed);
  }

  /** A deploy operation under way, as a worker's row would show it. */
  async function runningDeploy(id: string): Promise<void> {
    await createOperation(g.runtime.database.db, {
      id,
      kind: 'deploy',
      args: JSON.stringify({ gpu: 'rtx-3090', count: 1 }),
      requester: 'alice',
      channel: g.context.channel,
      reply_to: JSON.stringify(g.context.replyTo),
      state: 'running',
      instance_id: null,
      step: null,
    });
  }

  async function failedDeploy(): Promise<string> {
    const id = newOperationId();
    await runningDeploy(id);
    await finishOperation(g.runtime.database.db, id, {
      state: 'failed',
      error: { code: 'timeout', message: 'gave up' },
    });
    return id;
  }

  it("destroys a failed deploy's rental that nothing claims only after the grace period, and never touches machines gpuops did not rent", async () => {
    const operationId = await failedDeploy();
    const orphan = await rent(deployLabel(operationId));
    const unlabelled = await rent('my-own-training-box');
    // Labelled like gpuops, by a deployment whose operations this database does not know.
    const foreign = await rent('gpuops-op-0000000000');

    const early = await reconcile(services, jobs);
    expect(early.orphansWaiting).toContain(orphan);
    expect(early.foreign).toContain(foreign);
    expect(await alive(orphan)).toBe(true);

    const later = await reconcile(services, jobs, { now: new Date(Date.now() + GRACE_MS + 1_000) });
    expect(later.orphansDestroyed).toContain(orphan);
    expect(later.orphansDestroyed).not.toContain(unlabelled);
    expect(later.orphansDestroyed).not.toContain(foreign);
    expect(await alive(orphan)).toBe(false);
    expect(await alive(unlabelled)).toBe(true);
    expect(await alive(foreign)).toBe(true);
    const notices = await listNotices(g.runtime.database.db, g.context.channel);
    expect(
      notices.some((n) => n.text.includes(`Destroyed machine ${orphan}`) && n.text.includes(operationId)),
    ).toBe(true);

    await g.runtime.provider.destroyInstance(unlabelled);
    await g.runtime.provider.destroyInstance(foreign);
  });

  it('on its schedule, makes records of machines that vanished or died follow the provider, and tells the channel', async () => {
    await g.say('deploy a 3090');
    await g.say('deploy a 3090');
    const [vanishing, dying] = (await g.runtime.database.db
      .selectFrom('instances')
      .selectAll()
      .where('state', '=', 'running')
      .orderBy('id', 'desc')
      .limit(2)
      .execute())!;
    await g.runtime.provider.destroyInstance(vanishing!.provider_instance_id!);
    await failHost(g.sim, { instance_id: Number(dying!.provider_instance_id) });

    await waitFor(
      async () => (await getInstance(g.runtime.database.db, vanishing!.id))?.state === 'destroyed',
      {
        timeoutMs: 15_000,
        what: 'the vanished machine recorded as destroyed',
      },
    );
    await waitFor(async () => (await getInstance(g.runtime.database.db, dying!.id))?.state === 'failed', {
      timeoutMs: 15_000,
      what: 'the dead machine recorded as failed',
    });
    // Each notice is written just after its record: wait for them too.
    await waitFor(
      async () => {
        const notices = (await listNotices(g.runtime.database.db, g.context.channel)).map((n) => n.text);
        return (
          notices.some(
            (t) => t.startsWith(`i-${vanishing!.id} was running`) && t.includes('its machine is gone'),
          ) &&
          notices.some(
            (t) => t.startsWith(`i-${dying!.id} was running`) && t.includes(`say "destroy i-${dying!.id}"`),
          )
        );
      },
      { timeoutMs: 10_000, what: 'a notice for each machine' },
    );

    // The dead one is still destroyable, and destroying it ends its billing.
    g.surface.clear();
    await g.say(`destroy i-${dying!.id}`, { confirm: true });
    expect(await getInstance(g.runtime.database.db, dying!.id)).toMatchObject({ state: 'destroyed' });
  });

  it('ends an operation whose job no longer exists, settles its instance, and its watcher gets the final state', async () => {
    await g.say('deploy a 3090');
    const row = (await g.runtime.database.db
      .selectFrom('instances')
      .selectAll()
      .where('state', '=', 'running')
      .orderBy('id', 'desc')
      .executeTakeFirst())!;
    // As a removed job leaves things: the operation "running" and the instance "stopping", forever.
    const id = newOperationId();
    await createOperation(g.runtime.database.db, {
      id,
      kind: 'pause',
      args: JSON.stringify({ instance: `i-${row.id}` }),
      requester: 'alice',
      channel: g.context.channel,
      reply_to: JSON.stringify(g.context.replyTo),
      state: 'running',
      instance_id: row.id,
      step: 'Stopping the instance',
      created_at: new Date(Date.now() - 120_000),
    });
    await updateInstance(g.runtime.database.db, row.id, { state: 'stopping' });
    const watched = g.runtime.watcher!.watch(id);

    const final = await watched;
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('abandoned');
    expect(final.error?.message).toContain('no longer on the queue');
    expect(final.error?.message).toContain(`i-${row.id} is running, as the provider says`);
    expect(await getOperation(g.runtime.database.db, id)).toMatchObject({ state: 'failed' });
    expect(await getInstance(g.runtime.database.db, row.id)).toMatchObject({ state: 'running' });

    // And the instance can be operated on again.
    g.surface.clear();
    await g.say(`pause i-${row.id}`);
    expect(await getInstance(g.runtime.database.db, row.id)).toMatchObject({ state: 'stopped' });
  });

  it('releases a rental that a failed deploy only knows of by its label', async () => {
    const id = newOperationId();
    await runningDeploy(id);
    const row = await insertInstanceForOperation(g.runtime.database.db, {
      provider: 'vast',
      provider_instance_id: null,
      offer_id: null,
      label: deployLabel(id),
      gpu_name: 'RTX 3090',
      gpu_count: 1,
      price_per_hour: 0.2,
      state: 'provisioning',
      image: 'pytorch/pytorch:latest',
      disk_gb: 40,
      location: null,
      owner: 'alice',
      channel: g.context.channel,
      operation_id: id,
    });
    // The rental went through, but its answer never reached gpuops.
    const providerId = await rent(deployLabel(id));
    const operation = (await getOperation(g.runtime.database.db, id))!;
    const ended = await failOperation(services, operation, {
      code: 'provider_unavailable',
      message: 'No answer.',
    });
    expect(ended?.error?.message).toBe('No answer. The machine it rented was released, so nothing bills.');
    expect(await alive(providerId)).toBe(false);
    expect(await getInstance(g.runtime.database.db, row.id)).toMatchObject({
      state: 'destroyed',
      provider_instance_id: providerId,
    });
  });
});
