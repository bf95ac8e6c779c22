import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateValidPair } from '../../../src/cloud/ssh/ssh-keys.ts';
import { useSimulator, vastApi, waitForStatus } from '../../support/simulator.ts';

/**
 * vast.ai's own CLI against the simulator, unchanged. Runs only where VAST_CLI names a copy of
 * vast.py (vast-ai/vast-cli, not part of this repository) and python3 with `requests` is there;
 * skipped otherwise. Its cache and config go to a folder of the test's own, so the GPU names it
 * caches for 24 hours come from this simulator.
 */
const VAST_CLI = process.env.VAST_CLI;

describe.skipIf(!VAST_CLI)('vast.ai’s CLI (VAST_CLI) against the simulator', () => {
  const { sim } = useSimulator({ offers: 400 });
  let home: string;

  const vast = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)('python3', [VAST_CLI!, '--api-key', 'cli-key', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        XDG_CACHE_HOME: path.join(home, 'cache'),
        XDG_CONFIG_HOME: path.join(home, 'config'),
        VAST_URL: sim.url,
      },
      timeout: 60_000,
    });
    return stdout;
  };
  const vastJson = async (...args: string[]) => JSON.parse(await vast(...args, '--raw')) as unknown;

  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'gpuops-vast-cli-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('shows the user, searches, rents, lists, labels, stops, starts, gives an ssh url and destroys', async () => {
    const user = (await vastJson('show', 'user')) as Record<string, unknown>;
    expect(user).toMatchObject({ credit: 100, email: 'simulated@localhost' });
    expect(user).not.toHaveProperty('api_key');

    const offers = (await vastJson(
      'search',
      'offers',
      'gpu_name=RTX_4090 num_gpus=1',
      '--limit',
      '3',
    )) as Array<{
      id: number;
      gpu_name: string;
    }>;
    expect(offers.length).toBe(3);
    expect(offers.every((o) => o.gpu_name === 'RTX 4090')).toBe(true);

    const created = await vast(
      'create',
      'instance',
      String(offers[0]!.id),
      '--image',
      'pytorch/pytorch:latest',
      '--disk',
      '20',
      '--ssh',
      '--direct',
    );
    const id = Number(/'new_contract': (\d+)/.exec(created)?.[1]);
    expect(id).toBeGreaterThan(0);
    const running = await waitForStatus(vastApi(sim), id, 'running');

    const listed = (await vastJson('show', 'instances')) as Array<{ id: number; duration: number }>;
    expect(listed.map((i) => i.id)).toEqual([id]);
    expect(listed[0]!.duration).toBeGreaterThanOrEqual(0);
    expect(await vast('label', 'instance', String(id), 'from-cli')).toContain(
      `label for ${id} set to from-cli.`,
    );
    expect(await vast('ssh-url', String(id))).toBe(`ssh://root@127.0.0.1:${running.ssh_port}\n`);
    expect(await vast('stop', 'instance', String(id))).toContain(`stopping instance ${id}.`);
    await waitForStatus(vastApi(sim), id, 'stopped');
    expect(await vast('start', 'instance', String(id))).toContain(`starting instance ${id}.`);
    const shown = (await vastJson('show', 'instance', String(id))) as { label: string; extra_env: unknown };
    expect(shown).toMatchObject({ label: 'from-cli', extra_env: {} });

    const { public: publicKey } = generateValidPair();
    await vast('create', 'ssh-key', publicKey);
    expect(await vast('show', 'ssh-keys')).toContain(publicKey.split(' ')[1]);

    expect(await vast('destroy', 'instance', String(id))).toContain(`destroying instance ${id}.`);
    expect(await vast('destroy', 'instance', String(id))).toContain(
      'Failed with error 404: Instance not found',
    );
  }, 120_000);
});
