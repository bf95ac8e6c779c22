import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMarketPressure } from '../../../src/cloud/sim/admin-client.ts';
import type { Simulator } from '../../../src/cloud/sim/index.ts';
import {
  cheapestOffer,
  newKeyPair,
  sshExec,
  startTestSimulator,
  vastApi,
  waitForStatus,
} from '../../support/simulator.ts';

describe('simulator persistence', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(dataDir: string): Promise<Simulator> {
    const sim = await startTestSimulator({ dataDir, offers: 300 });
    cleanups.push(() => sim.close());
    return sim;
  }

  it('keeps instances, SSH keys, workspaces and rentals across a restart with the same dataDir', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-sim-test-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const key = newKeyPair();

    const first = await start(dataDir);
    let api = vastApi(first);
    await api.registerKey(key.public);
    const runningOffer = await cheapestOffer(api);
    const runningId = (await api.create(runningOffer.id, { label: 'keeps-running' })).json.new_contract!;
    const stoppedOffer = await cheapestOffer(api);
    const stoppedId = (await api.create(stoppedOffer.id, { label: 'stays-stopped' })).json.new_contract!;
    const before = await waitForStatus(api, runningId, 'running');
    await sshExec(
      { host: '127.0.0.1', port: before.ssh_port!, privateKey: key.private },
      'echo hello > saved.txt',
    );
    await waitForStatus(api, stoppedId, 'running');
    await api.setState(stoppedId, 'stopped');
    await waitForStatus(api, stoppedId, 'stopped');
    await applyMarketPressure(first, { instance_id: stoppedId });
    const goneId = (await api.create((await cheapestOffer(api)).id)).json.new_contract!;
    await api.destroy(goneId);
    await first.close();
    cleanups.pop();

    const saved = JSON.parse(await readFile(path.join(dataDir, 'state.json'), 'utf8')) as { version: number };
    expect(saved.version).toBe(1);

    const second = await start(dataDir);
    api = vastApi(second);
    const after = await api.show(runningId);
    expect(after).toMatchObject({
      actual_status: 'running',
      label: 'keeps-running',
      start_date: before.start_date,
    });
    expect(after?.ssh_port).toEqual(expect.any(Number));
    const read = await sshExec(
      { host: '127.0.0.1', port: after!.ssh_port!, privateKey: key.private },
      'cat saved.txt',
    );
    expect(read.stdout).toBe('hello\n');

    expect(await api.show(stoppedId)).toMatchObject({ actual_status: 'stopped', label: 'stays-stopped' });
    expect((await api.setState(stoppedId, 'running')).json).toMatchObject({ success: false });
    expect(await api.show(goneId)).toBeNull();
    expect(existsSync(path.join(dataDir, 'instances', String(goneId)))).toBe(false);

    const rented = await api.search({
      machine_id: { in: [runningOffer.machine_id, stoppedOffer.machine_id] },
    });
    expect(rented).toEqual([]);
    const newId = (await api.create((await cheapestOffer(api)).id)).json.new_contract!;
    expect(newId).toBeGreaterThan(goneId);
  });

  it('starts with a fresh temporary dataDir by default and removes it on close', async () => {
    const sim = await startTestSimulator({ offers: 50 });
    expect(existsSync(sim.dataDir)).toBe(true);
    await sim.close();
    expect(existsSync(sim.dataDir)).toBe(false);
  });
});
