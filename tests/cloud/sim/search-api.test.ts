import { describe, expect, it } from 'vitest';
import { useSimulator, vastApi } from '../../support/simulator.ts';

describe('simulated vast.ai offer search', () => {
  const { sim, api } = useSimulator();

  it('returns only matching offers, in the asked order, at most limit of them', async () => {
    const offers = await api.search({
      gpu_name: { in: ['RTX 4090', 'RTX 3090'] },
      num_gpus: { gte: 2 },
      gpu_ram: { gte: 24 * 1000 },
      dph_total: { lte: 1.5 },
      reliability: { gte: 0.95 },
      cuda_max_good: { gte: 12.2 },
      disk_space: { gt: 100 },
      order: [['dph_total', 'asc']],
      limit: 10,
    });
    expect(offers.length).toBe(10);
    for (const o of offers) {
      expect(['RTX 4090', 'RTX 3090']).toContain(o.gpu_name);
      expect(o.num_gpus).toBeGreaterThanOrEqual(2);
      expect(o.dph_total).toBeLessThanOrEqual(1.5);
      expect(o.reliability).toBeGreaterThanOrEqual(0.95);
      expect(o.cuda_max_good).toBeGreaterThanOrEqual(12.2);
      expect(o.disk_space).toBeGreaterThan(100);
      expect(o).toMatchObject({ verified: true, external: false, rentable: true, rented: false });
    }
    const prices = offers.map((o) => o.dph_total);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
  });

  it('reads the same query from GET ?q= as from a POST body', async () => {
    const query = {
      gpu_name: { eq: 'H100 SXM' },
      num_gpus: { eq: 8 },
      order: [['dph_total', 'desc']],
      limit: 5,
    };
    const viaGet = await api.call<{ offers: { id: number }[] }>(
      'GET',
      `/api/v0/bundles/?q=${encodeURIComponent(JSON.stringify(query))}`,
    );
    expect(viaGet.status).toBe(200);
    const viaPost = await api.search(query);
    expect(viaGet.json.offers.map((o) => o.id)).toEqual(viaPost.map((o) => o.id));
    expect(viaPost.length).toBeGreaterThan(0);
  });

  it('filters geolocation by the country code after the comma', async () => {
    const inNorthAmerica = await api.search({ geolocation: { in: ['US', 'CA'] }, limit: 200 });
    expect(inNorthAmerica.length).toBe(200);
    for (const o of inNorthAmerica) expect(o.geolocation).toMatch(/, (US|CA)$/);

    const outsideUs = await api.search({ geolocation: { notin: ['US'] }, limit: 200 });
    for (const o of outsideUs) expect(o.geolocation).not.toMatch(/, US$/);

    const germany = await api.search({ geolocation: { eq: 'DE' }, limit: 50 });
    expect(germany.length).toBeGreaterThan(0);
    for (const o of germany) expect(o.geolocation).toMatch(/, DE$/);
  });

  it('hides unverified offers unless the query names verified itself', async () => {
    const byDefault = await api.search({ limit: 1000 });
    expect(byDefault.every((o) => o.verified)).toBe(true);
    const unverified = await api.search({ verified: { eq: false }, limit: 1000 });
    expect(unverified.length).toBeGreaterThan(0);
    expect(unverified.every((o) => !o.verified)).toBe(true);
  });

  it('orders by score, best first, by default and caps limit at 1000', async () => {
    const offers = await api.search({ limit: 5_000 });
    expect(offers.length).toBe(1_000);
    const scores = offers.map((o) => o.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect((await api.search({})).length).toBe(64);
  });

  it('accepts the older CLI shape with the query under "q"', async () => {
    const offers = await api.search({ select_cols: ['*'], q: { gpu_name: { eq: 'A100 SXM4' }, limit: 3 } });
    expect(offers.length).toBe(3);
    expect(offers.every((o) => o.gpu_name === 'A100 SXM4')).toBe(true);
  });

  it('rejects an unknown operator with invalid_args, and ignores unknown fields', async () => {
    const bad = await api.call('POST', '/api/v0/bundles/', { dph_total: { cheaper_than: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ success: false, error: 'invalid_args' });

    const unknownField = await api.search({ no_such_field: { eq: 3 }, limit: 3 });
    expect(unknownField.length).toBe(3);
  });

  it('serves paths with or without the trailing slash and answers unknown ones with a JSON 404', async () => {
    expect((await api.call('GET', '/api/v0/instances?owner=me')).status).toBe(200);
    const unknown = await api.call('GET', '/api/v0/no-such-thing/');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ success: false });
  });

  it('accepts any API key when none is configured, but not a missing one', async () => {
    const response = await fetch(`${sim.url}/api/v0/bundles/`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ success: false, error: 'auth_error' });
    const viaQuery = await fetch(`${sim.url}/api/v0/instances/?owner=me&api_key=whatever`);
    expect(viaQuery.status).toBe(200);
  });
});

describe('simulated vast.ai with an API key configured', () => {
  const { sim } = useSimulator({ apiKey: 'right-key', offers: 100 });

  it('answers 401 auth_error for a wrong key and serves the right one', async () => {
    const wrong = await vastApi(sim, 'wrong-key').call('GET', '/api/v0/instances/?owner=me');
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ success: false, error: 'auth_error' });
    const right = await vastApi(sim, 'right-key').call('GET', '/api/v0/instances/?owner=me');
    expect(right.status).toBe(200);
    expect(right.json).toEqual({ instances: [] });
  });
});
