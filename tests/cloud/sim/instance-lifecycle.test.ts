import { beforeAll, describe, expect, it } from 'vitest';
import { applyMarketPressure, getSimState, resetFailures } from '../../../src/cloud/sim/admin-client.ts';
import type { VastInstanceWire } from '../../../src/cloud/sim/wire-types.ts';
import { cheapestOffer, newKeyPair, sshExec, useSimulator, waitForStatus } from '../../support/simulator.ts';
import { waitFor } from '../../support/wait.ts';

describe('simulated instance lifecycle', () => {
  const { sim, api } = useSimulator();
  const key = newKeyPair();

  beforeAll(async () => {
    const registered = await api.registerKey(key.public);
    expect(registered.json).toMatchObject({
      success: true,
      key: { id: expect.any(Number), public_key: key.public },
    });
  });

  const rent = async (query: Record<string, unknown> = {}, body: Record<string, unknown> = {}) => {
    const offer = await cheapestOffer(api, query);
    const created = await api.create(offer.id, body);
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ success: true, new_contract: expect.any(Number) });
    return { offer, id: created.json.new_contract! };
  };

  it('boots a new instance through provisioning and loading to running, then runs nvidia-smi over SSH', async () => {
    const { offer, id } = await rent(
      { gpu_name: { eq: 'RTX 4090' }, num_gpus: { eq: 2 } },
      { label: 'boot-test' },
    );

    const fresh = await api.show(id);
    expect(fresh).toMatchObject({
      id,
      machine_id: offer.machine_id,
      actual_status: null,
      intended_status: 'running',
      cur_state: 'running',
      ssh_port: null,
      label: 'boot-test',
      image_uuid: 'pytorch/pytorch:latest',
      gpu_name: 'RTX 4090',
      num_gpus: 2,
      disk_space: 16,
      geolocation: offer.geolocation,
    });
    await waitForStatus(api, id, 'loading');
    const running = await waitForStatus(api, id, 'running');
    expect(running.ssh_host).toBe('127.0.0.1');
    expect(running.ports['22/tcp']?.[0]?.HostPort).toBe(String(running.ssh_port));
    expect(running.start_date).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(running.dph_total).toBeGreaterThan(offer.dph_base);

    const result = await sshExec(
      { host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private },
      'nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; echo "id=$GPUOPS_SIM_INSTANCE_ID"; exit 3',
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toBe(
      `NVIDIA GeForce RTX 4090, 24564 MiB\nNVIDIA GeForce RTX 4090, 24564 MiB\nid=${id}\n`,
    );
    const table = await sshExec(
      { host: '127.0.0.1', port: running.ssh_port!, privateKey: key.private },
      'nvidia-smi',
    );
    expect(table.stdout).toContain('NVIDIA GeForce RTX 4090');
    expect(table.stdout).toContain('24564MiB');
  });

  it('refuses SSH logins with a key the account has not registered, and accepts one registered later', async () => {
    const { id } = await rent();
    const running = await waitForStatus(api, id, 'running');
    const stranger = newKeyPair();
    const target = { host: '127.0.0.1', port: running.ssh_port!, privateKey: stranger.private };
    await expect(sshExec(target, 'true')).rejects.toThrow(/authentication/i);

    await api.registerKey(stranger.public);
    expect((await sshExec(target, 'echo welcome')).stdout).toBe('welcome\n');
  });

  it('streams stdin and binary output both ways, as snapshots over SSH need', async () => {
    const { id } = await rent();
    const running = await waitForStatus(api, id, 'running');
    const target = { host: '127.0.0.1', port: running.ssh_port!, privateKey: key.private };
    const payload = Buffer.alloc(256 * 1024, 'x');
    const written = await sshExec(target, 'cat > data.bin && wc -c < data.bin', payload);
    expect(written.stdout.trim()).toBe(String(payload.length));
    const stderr = await sshExec(target, 'echo oops >&2; ls no-such-file');
    expect(stderr.code).not.toBe(0);
    expect(stderr.stderr).toContain('oops');
  });

  it('stops and starts an instance, keeping its workspace and moving SSH to a new port', async () => {
    const { id } = await rent();
    const before = await waitForStatus(api, id, 'running');
    const target = { host: '127.0.0.1', port: before.ssh_port!, privateKey: key.private };
    await sshExec(target, 'echo kept > notes.txt');

    expect((await api.setState(id, 'stopped')).json).toMatchObject({ success: true });
    expect(await api.show(id)).toMatchObject({ intended_status: 'stopped', cur_state: 'stopped' });
    const stopped = await waitForStatus(api, id, 'stopped');
    expect(stopped).toMatchObject({ ssh_port: null, ports: {} });
    await expect(sshExec(target, 'true')).rejects.toThrow();

    expect((await api.setState(id, 'running')).json).toMatchObject({ success: true });
    const after = await waitForStatus(api, id, 'running');
    expect(after.start_date).toBe(before.start_date);
    const files = await sshExec({ ...target, port: after.ssh_port! }, 'cat notes.txt');
    expect(files.stdout).toBe('kept\n');
  });

  it('fails to resume a stopped instance once someone else took its GPUs, queueing the start unless told not to', async () => {
    const { id } = await rent();
    await waitForStatus(api, id, 'running');
    await api.setState(id, 'stopped');
    await waitForStatus(api, id, 'stopped');

    await applyMarketPressure(sim, { instance_id: id });
    const resume = await api.setState(id, 'running');
    expect(resume.status).toBe(200);
    expect(resume.json).toMatchObject({ success: false, error: 'resources_unavailable' });
    expect(resume.json.msg).toMatch(/resources are currently unavailable, state change queued/);
    expect(await api.show(id)).toMatchObject({ actual_status: 'stopped', intended_status: 'running' });

    expect((await api.setState(id, 'stopped')).json).toMatchObject({ success: true });
    const refused = await api.call('PUT', `/api/v0/instances/${id}/`, {
      state: 'running',
      cancel_unavail: true,
    });
    expect(refused.json).toMatchObject({ success: false, error: 'resources_unavailable' });
    expect(await api.show(id)).toMatchObject({ actual_status: 'stopped', intended_status: 'stopped' });

    // Queued again; when the other renter lets go (reset gives injected rentals back) it starts.
    await api.setState(id, 'running');
    await resetFailures(sim);
    await waitForStatus(api, id, 'running');
  });

  it('frees the offer when the instance is destroyed: search lists it again and show returns null', async () => {
    const { offer, id } = await rent({ gpu_name: { eq: 'A100 SXM4' } });
    const onMachine = { machine_id: { eq: offer.machine_id }, limit: 5 };
    expect(await api.search(onMachine)).toEqual([]);
    const again = await api.create(offer.id);
    expect(again.status).toBe(410);
    expect(again.json).toMatchObject({ success: false, error: 'no_such_ask' });

    expect((await api.destroy(id)).json).toMatchObject({ success: true });
    expect(await api.show(id)).toBeNull();
    expect((await api.search(onMachine)).map((o) => o.id)).toEqual([offer.id]);
    expect((await api.destroy(id)).status).toBe(404);

    const state = await getSimState(sim);
    expect(state.instances.find((i) => i.id === id)).toMatchObject({ destroyed: true });
  });

  it('validates create: image is required and disk must fit the machine', async () => {
    const offer = await cheapestOffer(api);
    const noImage = await api.call('PUT', `/api/v0/asks/${offer.id}/`, { client_id: 'me', disk: 10 });
    expect(noImage.status).toBe(400);
    expect(noImage.json).toMatchObject({ success: false, error: 'invalid_args' });
    const hugeDisk = await api.create(offer.id, { disk: offer.disk_space + 1 });
    expect(hugeDisk.status).toBe(400);
    expect(hugeDisk.json).toMatchObject({ success: false, error: 'invalid_args' });
    const unknownOffer = await api.create(1);
    expect(unknownOffer.json).toMatchObject({ success: false, error: 'no_such_ask' });
  });

  it('lists instances on v0 and pages them on v1 with next_token, and changes labels', async () => {
    const { id } = await rent({}, { label: 'old' });
    expect((await api.call('PUT', `/api/v0/instances/${id}/`, { label: 'new' })).json).toMatchObject({
      success: true,
    });
    const v0 = await api.call<{ instances: VastInstanceWire[] }>('GET', '/api/v0/instances/?owner=me');
    expect(v0.json.instances.find((i) => i.id === id)?.label).toBe('new');

    const seen: number[] = [];
    let token = '';
    for (let page = 0; page < 20; page++) {
      const r = await api.call<{ instances: VastInstanceWire[]; next_token: string | null }>(
        'GET',
        `/api/v1/instances/?limit=2${token ? `&after_token=${encodeURIComponent(token)}` : ''}`,
      );
      expect(r.json.instances.length).toBeLessThanOrEqual(2);
      seen.push(...r.json.instances.map((i) => i.id));
      if (!r.json.next_token) break;
      token = r.json.next_token;
    }
    expect(seen).toEqual(v0.json.instances.map((i) => i.id));

    const bad = await api.call('PUT', `/api/v0/instances/${id}/`, { state: 'paused' });
    expect(bad.json).toMatchObject({ success: false, error: 'invalid_args' });
    const missing = await api.setState(999, 'stopped');
    expect(missing.status).toBe(404);
  });

  it('runs the onstart script when the instance starts, in its workspace', async () => {
    const { id } = await rent(
      {},
      { onstart: 'echo "started $GPUOPS_SIM_INSTANCE_ID" > onstart.txt', env: { MODE: 'x' } },
    );
    const running = await waitForStatus(api, id, 'running');
    expect(running.extra_env).toEqual([['MODE', 'x']]);
    const target = { host: '127.0.0.1', port: running.ssh_port!, privateKey: key.private };
    const result = await waitForOutput(target, 'cat onstart.txt 2>/dev/null; echo "mode=$MODE"');
    expect(result).toBe(`started ${id}\nmode=x\n`);
  });
});

/** The command's output once the onstart script has written it. */
function waitForOutput(target: { host: string; port: number; privateKey: string }, command: string) {
  return waitFor(
    async () => {
      const { stdout } = await sshExec(target, command);
      return stdout.startsWith('started') ? stdout : undefined;
    },
    { what: 'the onstart script to run', timeoutMs: 10_000 },
  );
}

describe('a stopped instance on a fast clock', () => {
  // 0.1% of vast.ai's delays: the stopped instance's hold on its GPUs lapses after 0.6 s.
  const { api } = useSimulator({ timeScale: 0.001, offers: 200 });

  it('lets its machine go back on the market after the hold, and cannot resume once that is rented', async () => {
    const offer = await cheapestOffer(api);
    const id = (await api.create(offer.id)).json.new_contract!;
    await waitForStatus(api, id, 'running');
    await api.setState(id, 'stopped');
    await waitForStatus(api, id, 'stopped');
    const onMachine = { machine_id: { eq: offer.machine_id } };
    expect(await api.search(onMachine)).toEqual([]);

    const relisted = await waitFor(async () => (await api.search(onMachine))[0], {
      what: 'the machine to be listed again',
    });
    expect(relisted.id).toBe(offer.id);
    const other = (await api.create(offer.id)).json.new_contract!;
    expect((await api.setState(id, 'running')).json).toMatchObject({
      success: false,
      error: 'resources_unavailable',
    });

    // The queued start runs once the other rental ends.
    await api.destroy(other);
    await waitForStatus(api, id, 'running');
  });
});
