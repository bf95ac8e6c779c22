import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { listNotices } from '../../db/repositories/notices.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import { failHost, getSimState, resetFailures } from '../../src/cloud/sim/admin-client.ts';
import { generateValidPair } from '../../src/cloud/ssh/ssh-keys.ts';
import type { WorkerServices } from '../../src/jobs/queue/job-context.ts';
import { checkHealth } from '../../src/jobs/upkeep/health-monitor.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/wait.ts';

describe('health monitor', () => {
  let g: TestGpuops;
  let services: WorkerServices;

  beforeAll(async () => {
    // Passes are run by the tests themselves, one at a time.
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      env: { GPUOPS_HEALTH_INTERVAL_MS: '0', GPUOPS_HEALTH_SSH_TIMEOUT_MS: '3000' },
    });
    services = g.workerServices();
  });
  afterEach(async () => {
    await resetFailures(g.sim);
  });
  afterAll(async () => {
    await g?.close();
  });

  async function noticesAbout(id: number): Promise<string[]> {
    const rows = await g.runtime.database.db
      .selectFrom('notices')
      .select('text')
      .where('instance_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map((r) => r.text);
  }

  it('fails over a lost instance with auto-failover by itself and tells its channel what happened and what it costs', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, 'mkdir -p out && head -c 200000 /dev/urandom > out/weights.bin');
    const want = await g.ssh(id, 'sha256sum out/weights.bin');
    await g.follow(`snapshot i-${id}`);
    await g.say(`enable auto-failover for i-${id}`, { confirm: true });
    expect((await getInstance(g.runtime.database.db, id))!.auto_failover).toBe(true);

    const healthy = await checkHealth(services, g.runtime.operations);
    expect(healthy.healthy).toContain(`i-${id}`);
    expect(await noticesAbout(id)).toEqual([]);

    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(g.sim, { instance_id: Number(old.provider_instance_id) });
    const pass = await checkHealth(services, g.runtime.operations);
    expect(pass.failovers).toHaveLength(1);
    const operationId = pass.failovers[0]!.operation;
    // A second pass while it runs starts nothing more.
    expect((await checkHealth(services, g.runtime.operations)).failovers).toHaveLength(0);

    await waitFor(
      async () => {
        const op = await getOperation(g.runtime.database.db, operationId);
        return op?.state === 'succeeded' || op?.state === 'failed';
      },
      { timeoutMs: 60_000, what: 'the automatic failover to end' },
    );
    expect(await getOperation(g.runtime.database.db, operationId)).toMatchObject({
      state: 'succeeded',
      kind: 'failover',
    });
    const after = await checkHealth(services, g.runtime.operations);
    expect(after.reported).toContain(`i-${id}`);

    const notices = await noticesAbout(id);
    expect(notices[0]).toMatch(
      new RegExp(`i-${id} is lost: the provider says its machine is (offline|exited)`),
    );
    expect(notices[0]).toContain('Auto-failover is moving it');
    expect(notices[1]).toMatch(/Auto-failover of i-\d+ finished: .*moved to a new machine/);
    expect(notices[1]).toMatch(/It now costs \$[\d.]+\/hr? \(was \$[\d.]+/);

    const audit = await g.runtime.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target', '=', `i-${id}`)
      .where('action', '=', 'auto-failover')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.outcome)).toEqual(['requested', 'ok']);
    expect((audit[1]!.details as { now_per_hour: number }).now_per_hour).toBeGreaterThan(0);

    const moved = (await getInstance(g.runtime.database.db, id))!;
    expect(moved.provider_instance_id).not.toBe(old.provider_instance_id);
    expect(await g.ssh(id, 'sha256sum out/weights.bin')).toBe(want);
    const sim = await getSimState(g.sim);
    expect(sim.instances.filter((i) => i.label === `gpuops-${operationId}`)).toHaveLength(1);

    // The next pass finds it healthy on its new machine, and says nothing more.
    const next = await checkHealth(services, g.runtime.operations);
    expect(next.healthy).toContain(`i-${id}`);
    expect(await noticesAbout(id)).toHaveLength(2);
  }, 180_000);

  it('reports a lost instance without auto-failover once, with the command that recovers it', async () => {
    const id = await g.deploy('deploy a 3090');
    await g.follow(`snapshot i-${id}`);
    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(g.sim, { instance_id: Number(old.provider_instance_id) });

    const pass = await checkHealth(services, g.runtime.operations);
    expect(pass.lost.map((l) => l.instance)).toContain(`i-${id}`);
    expect(pass.failovers).toHaveLength(0);
    await checkHealth(services, g.runtime.operations);
    const notices = await noticesAbout(id);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`Say "failover i-${id}"`);
    // Chats show the recovery as buttons too, each run (and confirmed) as whoever clicks.
    const [row] = await listNotices(g.runtime.database.db, old.channel, 1);
    expect(row!.actions).toEqual([
      { label: `Fail over i-${id}`, tool: 'failover', args: { instance: `i-${id}` } },
      { label: `Destroy i-${id}`, tool: 'destroy', args: { instance: `i-${id}` } },
    ]);
    const ops = await g.runtime.database.db
      .selectFrom('operations')
      .select('id')
      .where('instance_id', '=', id)
      .where('kind', '=', 'failover')
      .execute();
    expect(ops).toHaveLength(0);
  }, 120_000);

  it('judges a machine lost only after several SSH heartbeats in a row fail', async () => {
    const id = await g.deploy('deploy a 4090');
    const locked = {
      ...services,
      sshKey: (() => {
        const pair = generateValidPair();
        return { privateKey: pair.private, publicKey: pair.public };
      })(),
    };
    const threshold = services.config.health.sshFailures;
    for (let pass = 1; pass < threshold; pass++) {
      const report = await checkHealth(locked, g.runtime.operations);
      expect(report.lost.map((l) => l.instance)).not.toContain(`i-${id}`);
    }
    const report = await checkHealth(locked, g.runtime.operations);
    expect(report.lost.find((l) => l.instance === `i-${id}`)?.why).toMatch(
      new RegExp(`SSH heartbeat failed ${threshold} times in a row`),
    );
    expect((await noticesAbout(id))[0]).toContain('no snapshot');

    // It answers again with the right key: the loss is over, and a later one is told again.
    const healthy = await checkHealth(services, g.runtime.operations);
    expect(healthy.healthy).toContain(`i-${id}`);
  }, 120_000);
});
