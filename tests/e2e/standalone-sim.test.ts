import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { failHost, getSimState, type SimAdminAccess } from '../../src/cloud/sim/admin-client.ts';
import { FAST_ENV, type GpuopsUnderTest, startGpuopsOn } from '../support/gpuops-harness.ts';
import { GPUOPS_DEV_BIN } from '../support/index.ts';

/**
 * The README's way of running the marketplace alone: `gpuops sim` as a process of its own, gpuops
 * pointed at it with VAST_BASE_URL and nothing else about the workspace, so snapshots, restores and
 * failovers use vast.ai's /workspace as they would on vast.ai. Only the speed settings differ from
 * a newcomer's (short polls; the simulator at 1% of vast.ai's delays).
 */

/** FAST_ENV less its workspace folder: this test is about the default. */
const SPEED_ONLY = Object.fromEntries(
  Object.entries(FAST_ENV).filter(([name]) => name !== 'GPUOPS_WORKSPACE_DIR'),
);

/** Starts `gpuops sim` from the sources and reads where it listens from what it prints. */
async function spawnSim(dataDir: string): Promise<{ child: ChildProcess; url: string; printed: string[] }> {
  const child = spawn(
    process.execPath,
    [GPUOPS_DEV_BIN, 'sim', '--port', '0', '--time-scale', '0.01', '--offers', '800', '--data-dir', dataDir],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const printed: string[] = [];
  child.stderr?.on('data', (d: Buffer) => printed.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gpuops sim did not start: ${printed.join('')}`)),
      45_000,
    );
    child.stdout?.on('data', (d: Buffer) => {
      printed.push(d.toString());
      const match = /listening on (http:\/\/\S+)/.exec(printed.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gpuops sim exited ${code}: ${printed.join('')}`));
    });
  });
  return { child, url, printed };
}

describe('gpuops against a separate `gpuops sim` (the README’s standalone simulator)', () => {
  let dir: string;
  let sim: Awaited<ReturnType<typeof spawnSim>>;
  let admin: SimAdminAccess;
  let g: GpuopsUnderTest;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gpuops-standalone-'));
    sim = await spawnSim(path.join(dir, 'sim'));
    const keyFile = path.join(dir, 'sim', 'admin-key');
    admin = { adminUrl: `${sim.url}/admin`, adminKey: (await readFile(keyFile, 'utf8')).trim() };
    g = await startGpuopsOn(sim.url, { db: 'pglite', queue: 'postgres', baseEnv: SPEED_ONLY });
  }, 90_000);
  afterAll(async () => {
    await g?.close();
    if (sim && sim.child.exitCode === null) {
      sim.child.kill('SIGTERM');
      await once(sim.child, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('tells whoever started it where the admin key is, in a file only they can read', async () => {
    const printed = sim.printed.join('');
    expect(printed).toContain(`VAST_BASE_URL=${sim.url}`);
    expect(printed).toContain(path.join(dir, 'sim', 'admin-key'));
    expect(printed).not.toContain(admin.adminKey);
    expect((await stat(path.join(dir, 'sim', 'admin-key'))).mode & 0o777).toBe(0o600);
    const stranger = await fetch(`${admin.adminUrl}/state`);
    expect(stranger.status).toBe(401);
  });

  it('deploys, snapshots /workspace, restores it and fails over to a new machine with the files', async () => {
    expect(g.runtime.config.workspaceDir).toBeUndefined();
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, 'mkdir -p /workspace/ckpt && echo "epoch 7" > /workspace/ckpt/state.txt');

    const snapped = await g.follow(`back up i-${id}`);
    expect(snapped.state, JSON.stringify(snapped.error)).toBe('succeeded');
    expect(snapped.result!.summary).toMatch(/^snap-\d+ of i-\d+: 1 file/);
    const ref = /^(snap-\d+)/.exec(snapped.result!.summary)![1]!;

    await g.ssh(id, 'echo "epoch 8, broken" > /workspace/ckpt/state.txt');
    const restored = await g.follow(`restore ${ref} onto i-${id}`, { confirm: true });
    expect(restored.state, JSON.stringify(restored.error)).toBe('succeeded');
    expect(await g.ssh(id, 'cat /workspace/ckpt/state.txt')).toBe('epoch 7\n');

    const old = (await getInstance(g.runtime.database.db, id))!;
    await failHost(admin, { instance_id: Number(old.provider_instance_id) });
    const moved = await g.follow(`i-${id} died, move it`, { confirm: true });
    expect(moved, JSON.stringify(moved.error)).toMatchObject({ state: 'succeeded', kind: 'failover' });
    const now = (await getInstance(g.runtime.database.db, id))!;
    expect(now.provider_instance_id).not.toBe(old.provider_instance_id);
    expect(await g.ssh(id, 'cat /workspace/ckpt/state.txt')).toBe('epoch 7\n');
    const state = await getSimState(admin);
    expect(state.instances.find((i) => String(i.id) === old.provider_instance_id)?.destroyed).toBe(true);
  }, 60_000);
});
