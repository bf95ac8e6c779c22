import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { getStandby } from '../../db/repositories/standbys.ts';
import { standbyVmSpec } from '../../src/cloud/gcp/standby-vm.ts';
import { sshExec } from '../../src/cloud/ssh/ssh-client.ts';
import { gcpStandbyServices } from '../../src/jobs/operations/standby-services.ts';
import { prepareStandby, syncStandby } from '../../src/jobs/operations/standby-sync.ts';
import type { WorkerServices } from '../../src/jobs/queue/job-context.ts';
import { syncStandbys } from '../../src/jobs/upkeep/standby-sync-pass.ts';
import { getTool } from '../../src/tools/registry.ts';
import { type ComputeStandIn, startComputeStandIn } from '../support/gcp/compute-stand-in.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/wait.ts';

/** Every file's SHA-256, every symlink's target and every directory, in a stable order. */
const FINGERPRINT = `find . -mindepth 1 \\( -type f -printf 'f %p ' -exec sh -c 'sha256sum < "$1" | cut -c1-64' _ {} \\; \\) -o \\( -type l -printf 'l %p -> %l\\n' \\) -o \\( -type d -printf 'd %p %m\\n' \\) | LC_ALL=C sort`;

describe('CPU standby on GCP from chat', () => {
  let gcp: ComputeStandIn;
  let g: TestGpuops;
  let workers: WorkerServices;
  let closeGcp: () => Promise<void>;

  beforeAll(async () => {
    gcp = await startComputeStandIn();
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      env: {
        ...gcp.env,
        GPUOPS_GCP_SPOT: 'true',
        // The test runs the scheduled sync itself, when it wants it.
        GPUOPS_STANDBY_SYNC_INTERVAL_MS: '0',
      },
    });
    const { runtime } = g;
    const standby = gcpStandbyServices(runtime.config.gcp!, runtime.log);
    closeGcp = standby.close;
    workers = {
      config: runtime.config,
      db: runtime.database.db,
      provider: runtime.provider,
      sshKey: runtime.sshKey,
      log: runtime.log,
      deploymentId: runtime.deploymentId,
      snapshots: runtime.snapshots!,
      standby: standby.services,
    };
  });
  afterAll(async () => {
    await closeGcp?.();
    await g?.close();
    await gcp?.close();
  });

  async function onInstance(id: number, command: string): Promise<string> {
    const row = await getInstance(g.runtime.database.db, id);
    const result = await sshExec(
      { host: row!.ssh_host!, port: row!.ssh_port!, privateKey: g.runtime.sshKey.privateKey },
      command,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  async function onVm(natIp: string, command: string): Promise<string> {
    const result = await sshExec(
      { host: natIp, port: gcp.sshPort, username: 'gpuops', privateKey: g.runtime.sshKey.privateKey },
      `cd workspace && ${command}`,
    );
    expect(result.code).toBe(0);
    return result.stdout;
  }

  async function completed(text: string, confirm?: boolean) {
    const handled = await g.say(text, confirm === undefined ? {} : { confirm });
    const [final] = await Promise.all(handled.jobs);
    return final;
  }

  it('puts a verified copy of the latest snapshot on a GCP VM, follows new snapshots, and deletes it when turned off', async () => {
    const deployed = await completed('deploy a 4090');
    expect(deployed!.state).toBe('succeeded');
    const id = Number(deployed!.result!.instance.slice(2));
    await onInstance(
      id,
      [
        'mkdir -p "data/sub dir" data/empty-dir',
        'head -c 2000000 /dev/urandom > data/model.bin',
        'chmod 600 data/model.bin',
        `printf 'lr=3e-4\\n' > "data/sub dir/naïve café.txt"`,
        ': > data/empty.txt',
        'ln -s model.bin data/latest',
        'for i in $(seq 1 40); do echo "$i" > data/small-$i.txt; done',
      ].join(' && '),
    );

    // No snapshot yet: it says what to do first, and nothing is made.
    g.surface.clear();
    await g.say(`enable standby for i-${id}`);
    expect(g.surface.errors()[0]!.text).toContain(`snapshot i-${id}`);
    expect(gcp.vms()).toHaveLength(0);

    const snapped = await completed(`snapshot i-${id}`);
    expect(snapped!.state).toBe('succeeded');
    const want = await onInstance(id, FINGERPRINT);

    g.surface.clear();
    const enabled = await completed(`standby i-${id} on a cpu vm`, true);
    // It costs money, so it asked first, saying what and for how much.
    const asked = g.surface.events.filter((e) => e.type === 'confirm');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.question).toMatch(
      /CPU standby on GCP: a spot VM of type e2-standard-4 in us-central1-a, about \$0\.\d+\/hr/,
    );
    expect(enabled).toMatchObject({ state: 'succeeded', kind: 'standby' });
    expect(enabled!.result!.summary).toMatch(
      /has a CPU standby: VM gpuops-\w+-standby-\d+ \(e2-standard-4, spot/,
    );
    expect(enabled!.result!.summary).toContain('verified');

    const row = await getStandby(g.runtime.database.db, id);
    expect(row).toMatchObject({ state: 'ready', spot: true, machine_type: 'e2-standard-4' });
    expect(row!.hourly_cost).toBeGreaterThan(0);
    const vm = gcp.vm(row!.vm_name)!;
    expect(vm).toMatchObject({ status: 'RUNNING', spot: true, natIp: row!.nat_ip });
    expect(vm.labels).toMatchObject({ 'managed-by': 'gpuops', 'gpuops-instance': `i-${id}` });
    expect(vm.sshKeys).toBe(`gpuops:${g.runtime.sshKey.publicKey}`);
    // Every file, symlink and directory came over, checksums and modes included.
    expect(await onVm(vm.natIp!, FINGERPRINT)).toBe(want);

    // Asked again, it says so and makes nothing.
    g.surface.clear();
    await g.say(`enable standby for i-${id}`);
    expect(g.surface.posts('reply').join('\n')).toContain('already has a standby');

    // A new snapshot reaches the standby at the next scheduled sync; what was deleted goes.
    await onInstance(id, 'echo "lr=1e-4" > "data/sub dir/naïve café.txt" && rm data/small-7.txt');
    const second = await completed(`snapshot i-${id}`);
    expect(second!.state).toBe('succeeded');
    const wantNow = await onInstance(id, FINGERPRINT);
    // Only what changed crosses the network; the deleted file goes.
    const synced = await syncStandby(workers, id);
    expect(synced).toMatchObject({
      outcome: 'synced',
      report: { incremental: true, streamedFiles: 1, mismatchCount: 0 },
    });
    expect(await onVm(vm.natIp!, FINGERPRINT)).toBe(wantNow);
    expect(await syncStandbys(workers)).toMatchObject({ synced: [], current: [`i-${id}`], failed: [] });

    // GCP takes the spot VM back; the next sync starts it again, at a new address.
    await gcp.preempt(row!.vm_name);
    const target = await prepareStandby(workers, id);
    expect(gcp.vm(row!.vm_name)!.status).toBe('RUNNING');
    expect(target).toMatchObject({
      vmName: row!.vm_name,
      natIp: gcp.vm(row!.vm_name)!.natIp,
      workspaceDir: 'workspace',
    });
    expect(target.snapshot).toBe(`snap-${(await getStandby(g.runtime.database.db, id))!.synced_snapshot_id}`);
    expect(await onVm(target.natIp, FINGERPRINT)).toBe(wantNow);

    // Turning it off asks first, then deletes the VM.
    g.surface.clear();
    await g.say(`turn off standby for i-${id}`, { confirm: false });
    expect(gcp.vms()).toHaveLength(1);
    const off = await completed(`turn off standby for i-${id}`, true);
    expect(off).toMatchObject({ state: 'succeeded', kind: 'standby_off' });
    expect(off!.result!.summary).toContain('nothing bills');
    expect(gcp.vms()).toHaveLength(0);
    expect(await getStandby(g.runtime.database.db, id)).toMatchObject({ state: 'off', nat_ip: null });
  }, 180_000);

  it('says what GCP refused when the VM cannot be made, and tells the channel when its VM vanishes', async () => {
    const deployed = await completed('deploy a 4090');
    expect(deployed).toMatchObject({ state: 'succeeded' });
    const id = Number(deployed!.result!.instance.slice(2));
    await onInstance(id, 'echo weights > w.bin');
    expect((await completed(`snapshot i-${id}`))!.state).toBe('succeeded');

    gcp.failNext('insert', {
      status: 403,
      message: "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1.",
      reason: 'quotaExceeded',
    });
    const refused = await completed(`enable standby for i-${id}`, true);
    expect(refused).toMatchObject({ state: 'failed', kind: 'standby' });
    expect(refused!.error).toMatchObject({ code: 'quota_exceeded' });
    expect(refused!.error!.message).toContain("Quota 'CPUS' exceeded");
    expect(await getStandby(g.runtime.database.db, id)).toMatchObject({ state: 'failed', nat_ip: null });
    expect(gcp.vms().filter((vm) => vm.labels['gpuops-instance'] === `i-${id}`)).toHaveLength(0);

    // Asked again, it makes one; then someone deletes the VM behind gpuops's back.
    const made = await completed(`enable standby for i-${id}`, true);
    expect(made!.state).toBe('succeeded');
    const row = (await getStandby(g.runtime.database.db, id))!;
    const compute = await workers.standby!.compute();
    await compute.deleteVm(row.vm_name);
    const pass = await syncStandbys(workers);
    expect(pass.failed).toEqual([expect.objectContaining({ instance: `i-${id}`, code: 'host_failed' })]);
    expect(await getStandby(g.runtime.database.db, id)).toMatchObject({ state: 'failed' });
    const notices = await g.runtime.database.db
      .selectFrom('notices')
      .select('text')
      .where('instance_id', '=', id)
      .execute();
    expect(notices.map((n) => n.text)).toEqual([expect.stringContaining(`enable standby for i-${id}`)]);

    // A VM of this deployment that no standby claims (its record lost) is deleted by the next pass.
    const stray = standbyVmSpec({
      gcp: g.runtime.config.gcp!,
      deploymentId: g.runtime.deploymentId,
      instanceId: 999,
      machineType: 'e2-small',
      spot: true,
      sshPublicKey: g.runtime.sshKey.publicKey,
    });
    await compute.createVm(stray);
    expect((await syncStandbys(workers)).orphansDeleted).toEqual([stray.name]);
    expect(gcp.vm(stray.name)).toBeUndefined();
  }, 120_000);

  it('refuses another channel’s instance, and says which settings to set when GCP is not configured', async () => {
    const deployed = await completed('deploy a 3090');
    expect(deployed).toMatchObject({ state: 'succeeded' });
    const id = Number(deployed!.result!.instance.slice(2));
    g.surface.clear();
    await g.runtime.chat!.handle(
      `enable standby for i-${id}`,
      { ...g.context, channel: 'someone-else', replyTo: { surface: 'test', channel: 'someone-else' } },
      g.surface,
    );
    expect(g.surface.errors()[0]!.text).toContain('belongs to another channel');

    const tool = getTool('standby')!;
    const services = {
      config: { ...g.runtime.config, gcp: undefined },
      db: g.runtime.database.db,
      provider: g.runtime.provider,
      operations: g.runtime.operations,
      log: g.runtime.log,
    };
    await expect(tool.run({ instance: `i-${id}`, enabled: true }, g.context, services)).rejects.toThrow(
      /GPUOPS_GCP_PROJECT.*GOOGLE_APPLICATION_CREDENTIALS/,
    );
    expect(await getStandby(g.runtime.database.db, id)).toBeUndefined();
    expect(gcp.vms().filter((vm) => vm.labels['gpuops-instance'] === `i-${id}`)).toHaveLength(0);
  }, 60_000);
});

describe('CPU standby on a schedule', () => {
  let gcp: ComputeStandIn;
  let g: TestGpuops;

  beforeAll(async () => {
    gcp = await startComputeStandIn();
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'postgres',
      env: {
        ...gcp.env,
        GPUOPS_STANDBY_SYNC_INTERVAL_MS: '300',
      },
    });
  });
  afterAll(async () => {
    await g?.close();
    await gcp?.close();
  });

  it("follows the instance's newest snapshot without being asked", async () => {
    const handled = await g.say('deploy a 4090');
    const [deployed] = await Promise.all(handled.jobs);
    const id = Number(deployed!.result!.instance.slice(2));
    const row = await getInstance(g.runtime.database.db, id);
    const ssh = { host: row!.ssh_host!, port: row!.ssh_port!, privateKey: g.runtime.sshKey.privateKey };
    await sshExec(ssh, 'echo one > state.txt');
    await Promise.all((await g.say(`snapshot i-${id}`)).jobs);
    const [enabled] = await Promise.all((await g.say(`enable standby for i-${id}`, { confirm: true })).jobs);
    expect(enabled!.state).toBe('succeeded');

    await sshExec(ssh, 'echo two > state.txt');
    const [second] = await Promise.all((await g.say(`snapshot i-${id}`)).jobs);
    const newest = Number(/^snap-(\d+)/.exec(second!.result!.summary)![1]);
    const synced = await waitFor(
      async () => {
        const standby = await getStandby(g.runtime.database.db, id);
        return standby?.synced_snapshot_id === newest && standby;
      },
      { timeoutMs: 60_000, what: `the standby of i-${id} to hold snap-${newest}` },
    );
    const onVm = await sshExec(
      {
        host: synced.nat_ip!,
        port: gcp.sshPort,
        username: 'gpuops',
        privateKey: g.runtime.sshKey.privateKey,
      },
      'cat workspace/state.txt',
    );
    expect(onVm.stdout).toBe('two\n');
  }, 120_000);
});
