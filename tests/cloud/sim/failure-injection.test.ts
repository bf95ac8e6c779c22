import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  failHost,
  failNext,
  getSimState,
  makeOfferGone,
  resetFailures,
  setFaultRate,
  setRateLimit,
} from '../../../src/cloud/sim/admin-client.ts';
import { cheapestOffer, newKeyPair, sshExec, useSimulator, waitForStatus } from '../../support/simulator.ts';
import { waitFor } from '../../support/wait.ts';

describe('simulated marketplace failure injection', () => {
  const { sim, api } = useSimulator();
  const key = newKeyPair();

  beforeAll(async () => {
    await api.registerKey(key.public);
  });
  afterEach(() => resetFailures(sim));

  it('answers 429 "API requests too frequent" as plain text without Retry-After, then succeeds', async () => {
    await failNext(sim, { endpoint: 'search', status: 429, count: 2 });
    for (let i = 0; i < 2; i++) {
      const limited = await api.call('POST', '/api/v0/bundles/', { limit: 1 });
      expect(limited.status).toBe(429);
      expect(limited.text).toBe('API requests too frequent');
      expect(limited.contentType).toMatch(/^text\/plain/);
      expect(limited.retryAfter).toBeNull();
    }
    const ok = await api.call<{ offers: unknown[] }>('POST', '/api/v0/bundles/', { limit: 1 });
    expect(ok.status).toBe(200);
    expect(ok.json.offers).toHaveLength(1);
  });

  it('fails only the endpoint it targets, with a 5xx body of the gateway or the API', async () => {
    await failNext(sim, { endpoint: 'list', status: 502 });
    await failNext(sim, { endpoint: 'list', status: 500 });
    expect((await api.call('POST', '/api/v0/bundles/', { limit: 1 })).status).toBe(200);
    const gateway = await api.call('GET', '/api/v0/instances/?owner=me');
    expect(gateway.status).toBe(502);
    expect(gateway.text).toContain('502 Bad Gateway');
    const server = await api.call('GET', '/api/v0/instances/?owner=me');
    expect(server.status).toBe(500);
    expect(server.json).toMatchObject({ success: false });
    expect((await api.call('GET', '/api/v0/instances/?owner=me')).status).toBe(200);
  });

  it('with applied, does the work and loses only the answer, as a gateway timeout would', async () => {
    const offer = await cheapestOffer(api);
    await failNext(sim, { endpoint: 'create', status: 504, applied: true });
    const lost = await api.create(offer.id, { label: 'lost-answer' });
    expect(lost.status).toBe(504);
    const state = await getSimState(sim);
    const rented = state.instances.filter((i) => i.label === 'lost-answer');
    expect(rented).toHaveLength(1);
    expect(rented[0]?.offer_id).toBe(offer.id);
  });

  it('limits request rate when asked, answering 429 to requests that come too soon', async () => {
    await setRateLimit(sim, { endpoint: 'show', minIntervalMs: 10_000 });
    expect((await api.call('GET', '/api/v0/instances/1/')).status).toBe(200);
    const tooSoon = await api.call('GET', '/api/v0/instances/1/');
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.text).toBe('API requests too frequent');
    expect((await api.call('GET', '/api/v0/instances/?owner=me')).status).toBe(200);
  });

  it('a host failure takes the instance offline for good and closes its SSH endpoint', async () => {
    const offer = await cheapestOffer(api);
    const id = (await api.create(offer.id)).json.new_contract!;
    const running = await waitForStatus(api, id, 'running');
    const target = { host: '127.0.0.1', port: running.ssh_port!, privateKey: key.private };
    expect((await sshExec(target, 'echo up')).stdout).toBe('up\n');

    const failed = await failHost(sim, { instance_id: id });
    expect(failed).toMatchObject({ success: true, machine_id: offer.machine_id, instance_ids: [id] });
    const offline = await api.show(id);
    expect(offline).toMatchObject({ actual_status: 'offline', ssh_port: null });
    expect(offline?.status_msg).toMatch(/offline/);
    await expect(sshExec(target, 'echo up')).rejects.toThrow();

    await api.setState(id, 'stopped');
    await api.setState(id, 'running');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await api.show(id))?.actual_status).toBe('offline');
    expect(
      await api.search({ machine_id: { eq: offer.machine_id }, rentable: { in: [true, false] } }),
    ).toEqual([]);
    expect((await api.destroy(id)).json).toMatchObject({ success: true });
  });

  it('a host failure armed for the next create kills that instance while it loads', async () => {
    await failHost(sim, { on: 'next-create' });
    const offer = await cheapestOffer(api);
    const id = (await api.create(offer.id)).json.new_contract!;
    const statuses = new Set<string | null>();
    const offline = await waitFor(
      async () => {
        const instance = await api.show(id);
        statuses.add(instance?.actual_status ?? null);
        return instance?.actual_status === 'offline' ? instance : undefined;
      },
      { what: 'the host to fail' },
    );
    expect(statuses.has('running')).toBe(false);
    expect(statuses.has('loading')).toBe(true);
    expect(offline.ssh_port).toBeNull();

    const next = await api.create((await cheapestOffer(api)).id);
    expect((await waitForStatus(api, next.json.new_contract!, 'running')).actual_status).toBe('running');
  });

  it('offer-gone drops the offer from search and makes create answer no_such_ask', async () => {
    const offer = await cheapestOffer(api, { gpu_name: { eq: 'RTX 3090' } });
    expect(await makeOfferGone(sim, { offer_id: offer.id })).toMatchObject({ success: true });
    const listed = await api.search({ gpu_name: { eq: 'RTX 3090' }, limit: 1000 });
    expect(listed.map((o) => o.id)).not.toContain(offer.id);
    const create = await api.create(offer.id);
    expect(create.status).toBe(410);
    expect(create.json).toEqual({
      success: false,
      error: 'no_such_ask',
      msg: expect.stringContaining(String(offer.id)),
    });
  });

  it('offer-gone armed for the next create fails that create only', async () => {
    await makeOfferGone(sim, { on: 'next-create' });
    const offer = await cheapestOffer(api);
    const first = await api.create(offer.id);
    expect(first.json).toMatchObject({ success: false, error: 'no_such_ask' });
    const second = await api.create((await cheapestOffer(api)).id);
    expect(second.json).toMatchObject({ success: true });
  });

  it('reset clears waiting failures and gives back machines others took', async () => {
    const offer = await cheapestOffer(api);
    await makeOfferGone(sim, { offer_id: offer.id });
    await failNext(sim, { endpoint: 'any', status: 503, count: 5 });
    expect((await getSimState(sim)).injected.failNext).toHaveLength(1);
    await resetFailures(sim);
    expect((await getSimState(sim)).injected.failNext).toHaveLength(0);
    expect((await cheapestOffer(api)).id).toBe(offer.id);
  });

  it('with a 100% fault rate, fails every API call and never an admin call', async () => {
    const before = await getSimState(sim);
    const offer = await cheapestOffer(api);
    const rule = await setFaultRate(sim, { rate: 1 });
    expect(rule).toEqual({
      rate: 1,
      endpoints: 'any',
      statuses: [429, 500, 502, 503, 504],
      appliedShare: 0,
      seed: 42,
    });
    const answers = [
      await api.call('POST', '/api/v0/bundles/', { limit: 1 }),
      await api.call('GET', '/api/v0/instances/?owner=me'),
      await api.call('GET', '/api/v1/instances/'),
      await api.call('GET', '/api/v0/instances/1/'),
      await api.call('GET', '/api/v0/ssh/'),
      await api.create(offer.id, { label: 'never-rented' }),
      await api.setState(1, 'stopped'),
      await api.destroy(1),
    ];
    for (const answer of answers) expect([429, 500, 502, 503, 504]).toContain(answer.status);

    // The admin API answers through it all.
    await failNext(sim, { endpoint: 'search', status: 503 });
    const state = await getSimState(sim);
    expect(state.injected.faultRate).toMatchObject({ rate: 1 });
    expect(state.injected.faults.total).toBe(answers.length);
    expect(state.injected.faults.bySource).toEqual({ failNext: 0, rateLimit: 0, faultRate: answers.length });
    expect(state.injected.faults.applied).toBe(0);
    expect(state.counts.instances).toBe(before.counts.instances);
    expect(state.instances.filter((i) => i.label === 'never-rented')).toHaveLength(0);
  });

  it('with a 30% fault rate, fails about 30% of requests, and the same ones again for the same seed', async () => {
    const run = async (seed: number, requests = 500) => {
      await setFaultRate(sim, { rate: 0.3, endpoints: ['show', 'list'], seed });
      const statuses: number[] = [];
      for (let i = 0; i < requests; i++) {
        const path = i % 2 === 0 ? '/api/v0/instances/1/' : '/api/v0/instances/?owner=me';
        statuses.push((await api.call('GET', path)).status);
      }
      return statuses;
    };
    const first = await run(7);
    const failed = first.filter((s) => s !== 200);
    expect(failed.length / first.length).toBeGreaterThanOrEqual(0.2);
    expect(failed.length / first.length).toBeLessThanOrEqual(0.4);
    expect(new Set(failed)).toEqual(new Set([429, 500, 502, 503, 504]));

    const { faults } = (await getSimState(sim)).injected;
    expect(faults.total).toBe(failed.length);
    for (const status of [429, 500, 502, 503, 504])
      expect(faults.byStatus[status]).toBe(failed.filter((s) => s === status).length);
    // Calls it does not target are left alone.
    expect((await api.call('POST', '/api/v0/bundles/', { limit: 1 })).status).toBe(200);

    expect(await run(7)).toEqual(first);
    expect(await run(8, 50)).not.toEqual(first.slice(0, 50));
  });

  it('with an applied share, rents the machine and loses only the answer, but never on a 429', async () => {
    await setFaultRate(sim, { rate: 1, endpoints: ['create'], statuses: [502], appliedShare: 1 });
    const offer = await cheapestOffer(api);
    const lost = await api.create(offer.id, { label: 'rented-unheard' });
    expect(lost.status).toBe(502);
    expect(lost.text).toContain('502 Bad Gateway');

    await setFaultRate(sim, { rate: 1, endpoints: ['create'], statuses: [429], appliedShare: 1 });
    const limited = await api.create((await cheapestOffer(api)).id, { label: 'rate-limited' });
    expect(limited.status).toBe(429);

    const state = await getSimState(sim);
    const rented = state.instances.filter((i) => i.label === 'rented-unheard');
    expect(rented).toHaveLength(1);
    expect(rented[0]).toMatchObject({ offer_id: offer.id, destroyed: false });
    expect(state.instances.filter((i) => i.label === 'rate-limited')).toHaveLength(0);
    expect(state.injected.faults).toMatchObject({ total: 2, applied: 1, byStatus: { 502: 1, 429: 1 } });
  });

  it('refuses a fault rule it cannot follow, saying why, and keeps the one in force', async () => {
    const kept = await setFaultRate(sim, { rate: 0.5, endpoints: ['show'], seed: 3 });
    await expect(setFaultRate(sim, { rate: 2 })).rejects.toThrow(
      /HTTP 400: rate must be a number from 0 to 1 \(the share of API requests to fail\), not 2\./,
    );
    await expect(
      // @ts-expect-error: an endpoint the simulator does not have, as an untyped caller could send.
      setFaultRate(sim, { rate: 0.1, endpoints: ['create', 'reboot'] }),
    ).rejects.toThrow(
      /HTTP 400: endpoints has "reboot", which is not an API call; endpoints must be any, or a list of search, create/,
    );
    await expect(
      // @ts-expect-error: a status injection does not answer.
      setFaultRate(sim, { rate: 0.1, statuses: [503, 418] }),
    ).rejects.toThrow(/HTTP 400: statuses has 418; injected faults answer only 429, 500, 502, 503, 504\./);
    await expect(setFaultRate(sim, { rate: 0.1, appliedShare: -0.5 })).rejects.toThrow(
      /HTTP 400: appliedShare must be a number from 0 to 1/,
    );
    const state = await getSimState(sim);
    expect(state.injected.faultRate).toEqual(kept);
    expect(state.injected.faults.total).toBe(0);
  });

  it('reset clears the fault rule and what it counted', async () => {
    await setFaultRate(sim, { rate: 1, statuses: [503] });
    expect((await api.call('GET', '/api/v0/instances/?owner=me')).status).toBe(503);
    expect((await getSimState(sim)).injected.faults).toMatchObject({
      total: 1,
      byStatus: { 503: 1 },
    });
    await resetFailures(sim);
    const { injected } = await getSimState(sim);
    expect(injected.faultRate).toBeNull();
    expect(injected.faults).toEqual({
      total: 0,
      applied: 0,
      byStatus: {},
      byEndpoint: {},
      bySource: { failNext: 0, rateLimit: 0, faultRate: 0 },
    });
    expect((await api.call('GET', '/api/v0/instances/?owner=me')).status).toBe(200);
  });

  it('counts instances by status in the admin state, destroyed ones included', async () => {
    const state = await getSimState(sim);
    expect(state.counts.instances).toBe(state.instances.length);
    expect(state.counts.active + state.counts.destroyed).toBe(state.instances.length);
    expect(state.counts.running).toBe(
      state.instances.filter((i) => !i.destroyed && i.actual_status === 'running').length,
    );
    expect(state.market.machines).toBe(2_400);
    expect(JSON.stringify(state)).not.toContain('PRIVATE KEY');
  });
});
