import { beforeAll, describe, expect, it } from 'vitest';
import { failNext, getSimState } from '../../../src/cloud/sim/admin-client.ts';
import { generateValidPair } from '../../../src/cloud/ssh/ssh-keys.ts';
import { VastClient } from '../../../src/cloud/vast/vast-client.ts';
import { startTestSimulator, useSimulator, vastApi, waitForStatus } from '../../support/simulator.ts';

/**
 * The simulator as vast.ai's own CLI (vast.py, vast-ai/vast-cli) and vast.ai's published OpenAPI
 * description (vast-ai/docs, api-reference/openapi.yaml) see vast.ai, endpoint by endpoint. Each
 * expectation is a fact read there: what the CLI sends, which fields it reads and how (a field it
 * does arithmetic on must be a number), and the status codes, error bodies and content types the
 * description gives. Where the two disagree, the CLI is what the service does.
 */

/** vast.py refuses search answers whose Content-Type is anything but this, to the letter. */
const JSON_TYPE = 'application/json';

/** What `vastai create instance <id> --image ... --disk 20 --ssh --direct` sends. */
function cliCreateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: 'me',
    image: 'pytorch/pytorch:latest',
    env: {},
    price: null,
    disk: 20,
    label: null,
    extra: null,
    onstart: null,
    image_login: null,
    python_utf8: false,
    lang_utf8: false,
    use_jupyter_lab: false,
    jupyter_dir: null,
    force: false,
    cancel_unavail: null,
    template_hash_id: null,
    user: null,
    runtype: 'ssh_direc ssh_proxy',
    ...overrides,
  };
}

/** The query string vast.py builds: each value URL-encoded, JSON for anything but a string. */
function cliQuery(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&');
}

interface V1Page {
  success: boolean;
  instances_found: number;
  total_instances: number;
  label_counts: Record<string, number>;
  next_token: string | null;
  instances: Array<Record<string, unknown>>;
}

describe('the simulator as vast.ai’s CLI and OpenAPI description see vast.ai', () => {
  const { sim } = useSimulator();
  const api = vastApi(sim, 'cli-key-0123456789');
  let cheapest: number[];

  beforeAll(async () => {
    const offers = await api.search({ order: [['dph_total', 'asc']], limit: 40 });
    cheapest = offers.map((o) => o.id);
  });

  /** Rents with the CLI's body and waits until the instance runs. */
  async function rentRunning(label: string | null = null): Promise<number> {
    const offerId = cheapest.shift()!;
    const created = await api.call<{ success: boolean; new_contract: number }>(
      'PUT',
      `/api/v0/asks/${offerId}/`,
      cliCreateBody({ label }),
    );
    expect(created.status).toBe(200);
    await waitForStatus(api, created.json.new_contract, 'running');
    return created.json.new_contract;
  }

  it('lists GPU names at GET /api/v0/gpu_names/unique/ without a key, as the CLI asks before every command', async () => {
    const response = await fetch(`${sim.url}/api/v0/gpu_names/unique/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(JSON_TYPE);
    const body = (await response.json()) as { gpu_names: unknown };
    expect(Array.isArray(body.gpu_names)).toBe(true);
    const names = body.gpu_names as string[];
    expect(names).toContain('RTX 4090');
    expect(new Set(names).size).toBe(names.length);
    // Every GPU the market rents out is one of them, so `--gpu-name` accepts it.
    const offered = new Set(sim.market.machines.map((m) => m.model.marketName));
    expect([...offered].every((n) => names.includes(n))).toBe(true);
  });

  it('labels every JSON answer exactly application/json, errors included', async () => {
    const instance = await rentRunning();
    const answers = await Promise.all([
      api.call('POST', '/api/v0/bundles/', { limit: 1 }),
      api.call('GET', `/api/v0/instances/${instance}/?owner=me`),
      api.call('GET', '/api/v1/instances/?limit=25'),
      api.call('GET', '/api/v0/users/current'),
      api.call('GET', '/api/v0/ssh/'),
      api.call('PUT', `/api/v0/instances/${instance}/`, { label: 'typed' }),
      api.call('PUT', '/api/v0/instances/999/', { state: 'stopped' }),
      api.call('GET', '/api/v1/instances/?after_token=bm90LWEtdG9rZW4'),
      vastApi(sim, '').call('GET', '/api/v0/users/current/'),
    ]);
    for (const answer of answers) expect(answer.contentType).toBe(JSON_TYPE);
  });

  it('answers GET /api/v0/users/current/ with api_key (the CLI removes it before printing) and every field "show user" prints', async () => {
    const user = await api.call<Record<string, unknown>>('GET', '/api/v0/users/current');
    expect(user.status).toBe(200);
    expect(user.json.api_key).toBe('cli-key-0123456789');
    // OpenAPI: id, key_id, email, balance, ssh_key, sid.
    expect(user.json).toMatchObject({
      id: expect.any(Number),
      key_id: expect.any(Number),
      email: expect.any(String),
      balance: expect.any(Number),
    });
    expect(user.json).toHaveProperty('ssh_key');
    expect(user.json).toHaveProperty('sid');
    // The CLI's user_fields; credit is formatted "{:0.2f}", so it must be a number.
    for (const field of [
      'balance',
      'balance_threshold',
      'balance_threshold_enabled',
      'billaddress_city',
      'billaddress_country',
      'billaddress_line1',
      'billaddress_line2',
      'billaddress_zip',
      'billed_expected',
      'billed_verified',
      'billing_creditonly',
      'can_pay',
      'credit',
      'email',
      'email_verified',
      'fullname',
      'got_signup_credit',
      'has_billing',
      'has_payout',
      'id',
      'last4',
      'paid_expected',
      'paid_verified',
      'password_resettable',
      'paypal_email',
      'ssh_key',
      'user',
      'username',
    ]) {
      expect(user.json, field).toHaveProperty(field);
    }
    expect(typeof user.json.credit).toBe('number');
  });

  it('refuses a key it does not know with 401 auth_error "Invalid user key", the words the CLI checks', async () => {
    const sim2 = await startTestSimulator({ apiKey: 'the-right-key-000', offers: 50 });
    try {
      const wrong = await vastApi(sim2, 'some-other-key').call('GET', '/api/v0/users/current/');
      expect(wrong.status).toBe(401);
      expect(wrong.json).toEqual({ success: false, error: 'auth_error', msg: 'Invalid user key' });
      const none = await vastApi(sim2, '').call('GET', '/api/v1/instances/');
      expect(none.status).toBe(401);
      expect(none.json).toMatchObject({ success: false, error: 'auth_error' });
    } finally {
      await sim2.close();
    }
  });

  it('gives search results every field the CLI’s offer table and its rented post-filter read', async () => {
    // `vastai search offers 'num_gpus=1'`: defaults, its order, its type and storage.
    const search = await api.call<{ offers: Array<Record<string, unknown>> }>('POST', '/api/v0/bundles/', {
      verified: { eq: true },
      external: { eq: false },
      rentable: { eq: true },
      rented: { eq: false },
      num_gpus: { eq: 1 },
      order: [['score', 'desc']],
      type: 'on-demand',
      allocated_storage: 5,
      limit: 5,
    });
    expect(search.status).toBe(200);
    expect(search.json.offers).toHaveLength(5);
    const numeric = [
      'id',
      'cuda_max_good',
      'num_gpus',
      'pcie_bw',
      'cpu_ghz',
      'cpu_cores_effective',
      'cpu_ram',
      'gpu_ram',
      'disk_space',
      'dph_total',
      'dlperf',
      'dlperf_per_dphtotal',
      'score',
      'inet_up',
      'inet_down',
      'reliability',
      'duration',
      'machine_id',
      'host_id',
      'direct_port_count',
    ];
    for (const offer of search.json.offers) {
      for (const field of numeric) expect(typeof offer[field], field).toBe('number');
      for (const field of ['gpu_name', 'driver_version', 'verification', 'geolocation']) {
        expect(typeof offer[field], field).toBe('string');
      }
      expect(offer.rented).toBe(false);
      expect(offer.num_gpus).toBe(1);
    }
    const scores = search.json.offers.map((o) => o.score as number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('rents with the body the CLI sends (nulls and all) and shows the instance as the CLI reads it', async () => {
    const offerId = cheapest.shift()!;
    const created = await api.call<Record<string, unknown>>(
      'PUT',
      `/api/v0/asks/${offerId}/`,
      cliCreateBody({ env: { MODE: 'demo', '-p 8080:8080': '1' }, label: 'cli-made' }),
    );
    expect(created.status).toBe(200);
    expect(created.json).toEqual({ success: true, new_contract: expect.any(Number) });
    const id = created.json.new_contract as number;

    // Before it runs: show still answers, with a start_date to subtract from and ports an object.
    const early = await api.call<{ instances: Record<string, unknown> }>(
      'GET',
      `/api/v0/instances/${id}/?owner=me`,
    );
    expect(typeof early.json.instances.start_date).toBe('number');
    expect(early.json.instances.ports).toEqual({});

    const running = (await waitForStatus(api, id, 'running')) as unknown as Record<string, unknown>;
    expect(running).toMatchObject({
      id,
      actual_status: 'running',
      intended_status: 'running',
      cur_state: 'running',
      next_state: 'running',
      label: 'cli-made',
      image_uuid: 'pytorch/pytorch:latest',
      image_runtype: 'ssh_direc ssh_proxy',
      public_ipaddr: '127.0.0.1',
      ssh_host: '127.0.0.1',
      ssh_port: expect.any(Number),
      start_date: expect.any(Number),
      verification: expect.any(String),
    });
    // The CLI turns extra_env into a dict with pair[0], pair[1].
    expect(running.extra_env).toEqual([
      ['MODE', 'demo'],
      ['-p 8080:8080', '1'],
    ]);
    // ssh-url reads ports["22/tcp"][0]["HostPort"] (a string) with public_ipaddr: an object keyed
    // "22/tcp", as vast.ai's CLI expects, where the OpenAPI description lists plain numbers.
    const ports = running.ports as Record<string, Array<{ HostIp: string; HostPort: string }>>;
    expect(ports['22/tcp']?.[0]).toEqual({ HostIp: '0.0.0.0', HostPort: String(running.ssh_port) });
    // The columns of `show instances` that are formatted as numbers.
    for (const field of [
      'gpu_util',
      'cpu_cores_effective',
      'cpu_ram',
      'disk_space',
      'dph_total',
      'reliability2',
      'uptime_mins',
    ]) {
      expect(typeof running[field], field).toBe('number');
    }
  });

  it('answers show for an instance that is gone with 200 {"instances": null}', async () => {
    const gone = await api.call('GET', '/api/v0/instances/424242/?owner=me');
    expect(gone.status).toBe(200);
    expect(gone.json).toEqual({ instances: null });
  });

  it('labels, stops and starts with PUT /api/v0/instances/{id}/ and says so in {success, msg}', async () => {
    const id = await rentRunning();
    const label = await api.call('PUT', `/api/v0/instances/${id}/`, { label: 'my run' });
    expect(label.status).toBe(200);
    expect(label.json).toEqual({ success: true, msg: `label for ${id} set to 'my run'` });
    const tooLong = await api.call('PUT', `/api/v0/instances/${id}/`, { label: 'x'.repeat(1025) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json).toMatchObject({ success: false, error: 'label_too_long', msg: expect.any(String) });

    const stop = await api.call('PUT', `/api/v0/instances/${id}/`, { state: 'stopped' });
    expect(stop.json).toMatchObject({ success: true, msg: expect.any(String) });
    const stopped = await waitForStatus(api, id, 'stopped');
    // Not running: no port map, but still an object (the CLI calls .get on it).
    expect(stopped.ports).toEqual({});
    expect(stopped.uptime_mins).toBeNull();
    const start = await api.call('PUT', `/api/v0/instances/${id}/`, { state: 'running' });
    expect(start.json).toMatchObject({ success: true, msg: expect.any(String) });
    await waitForStatus(api, id, 'running');

    const missing = await api.call('PUT', '/api/v0/instances/999/', { label: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      success: false,
      error: 'no_such_instance',
      msg: 'Instance 999 not found.',
    });
  });

  it('destroys with DELETE and a JSON body of {}, and answers 404 not_found the second time', async () => {
    const id = await rentRunning();
    const first = await api.call('DELETE', `/api/v0/instances/${id}/`, {});
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ success: true });
    const again = await api.call('DELETE', `/api/v0/instances/${id}/`, {});
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ success: false, error: 'not_found', msg: 'Instance not found' });
  });

  it('lists SSH keys as a bare array of {id, user_id, key, created_at, deleted_at}', async () => {
    const { public: publicKey } = generateValidPair();
    const added = await api.call<{ success: boolean; key: Record<string, unknown> }>('POST', '/api/v0/ssh/', {
      ssh_key: publicKey,
    });
    expect(added.json).toMatchObject({
      success: true,
      key: { id: expect.any(Number), public_key: publicKey },
    });
    const listed = await api.call<Array<Record<string, unknown>>>('GET', '/api/v0/ssh/');
    expect(Array.isArray(listed.json)).toBe(true);
    expect(listed.json.find((k) => k.key === publicKey)).toEqual({
      id: added.json.key.id,
      user_id: expect.any(Number),
      key: publicKey,
      created_at: expect.any(String),
      deleted_at: null,
    });
    const noKey = await api.call('POST', '/api/v0/ssh/', {});
    expect(noKey.status).toBe(400);
    expect(noKey.json).toMatchObject({ success: false });
  });
});

describe('GET /api/v1/instances/ pages as vast.ai describes it', () => {
  // Realistic delays: the instances stay provisioning for the whole test (no SSH endpoints).
  const { sim, api } = useSimulator({ timeScale: 1, offers: 200 });
  const ids: number[] = [];

  beforeAll(async () => {
    const offers = await api.search({ limit: 40 });
    for (const [i, offer] of offers.slice(0, 28).entries()) {
      const created = await api.create(offer.id, { label: i % 4 === 0 ? null : `team-${i % 2}` });
      ids.push(created.json.new_contract!);
    }
  });

  const page = (params: Record<string, unknown>) =>
    api.call<V1Page>('GET', `/api/v1/instances/?${cliQuery(params)}`);

  it('gives 25 at most, then the rest after next_token, every instance once, in id order', async () => {
    // What the CLI sends: select_filters {}, order_by id asc, limit 25, then after_token.
    const params: Record<string, unknown> = {
      select_filters: {},
      order_by: [{ col: 'id', dir: 'asc' }],
      limit: 25,
    };
    const first = await page(params);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ success: true, instances_found: 25, total_instances: 28 });
    expect(typeof first.json.next_token).toBe('string');
    const second = await page({ ...params, after_token: first.json.next_token });
    expect(second.json).toMatchObject({ instances_found: 3, total_instances: 28, next_token: null });
    const seen = [...first.json.instances, ...second.json.instances].map((i) => i.id);
    expect(seen).toEqual(ids);
    expect(first.json.label_counts).toEqual({ '': 7, 'team-0': 7, 'team-1': 14 });
  });

  it('caps limit at 25 and reads 0 or less as 5', async () => {
    expect((await page({ limit: 100 })).json.instances).toHaveLength(25);
    expect((await page({ limit: 0 })).json.instances).toHaveLength(5);
    expect((await page({ limit: -3 })).json.instances).toHaveLength(5);
  });

  it('pages in the asked order, filters stored columns, and returns only the asked columns', async () => {
    const all: number[] = [];
    let token: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof page>> = await page({
        order_by: [{ col: 'label', dir: 'desc' }],
        limit: 4,
        ...(token && { after_token: token }),
      });
      all.push(...r.json.instances.map((i) => i.id as number));
      token = r.json.next_token;
    } while (token);
    expect(new Set(all).size).toBe(28);

    const unlabelled = await page({ select_filters: { label: { in: [null] } } });
    expect(unlabelled.json.instances.map((i) => i.label)).toEqual(Array(7).fill(null));
    const narrow = await page({ select_cols: ['id', 'label', 'no_such_column'], limit: 1 });
    expect(narrow.json.instances).toEqual([{ id: ids[0], label: null, no_such_column: null }]);
  });

  it('answers 400 for a token it did not give and for filters on computed columns', async () => {
    const badToken = await page({ after_token: 'bm90LWEtdG9rZW4' });
    expect(badToken.status).toBe(400);
    expect(badToken.json).toMatchObject({ error: 'invalid_token' });
    const computed = await page({ select_filters: { dph_total: { lt: 1 } } });
    expect(computed.status).toBe(400);
    expect(computed.json).toMatchObject({
      error: 'invalid_request',
      msg: expect.stringContaining('dph_total'),
    });
    const badOrder = await page({ order_by: [{ col: 'num_gpus', dir: 'asc' }] });
    expect(badOrder.status).toBe(400);
  });

  it('lets gpuops’s own client see every instance of a team with more than one page', async () => {
    const client = new VastClient({ baseUrl: sim.url, apiKey: 'test-key', timeoutMs: 5_000, retries: 0 });
    expect((await client.listInstances()).map((i) => i.id)).toEqual(ids);
  });
});

describe('the simulator’s admin API', () => {
  const { sim } = useSimulator({ offers: 50 });

  it('answers a caller without the key 401 and changes nothing; the key opens it', async () => {
    const before = await getSimState(sim);
    for (const authorization of [undefined, 'Bearer wrong-key-wrong-key', `Basic ${sim.adminKey}`]) {
      const refused = await fetch(`${sim.adminUrl}/fail-next`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
        body: JSON.stringify({ endpoint: 'any', status: 503, count: 5 }),
      });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ success: false, error: 'auth_error' });
      expect(
        (await fetch(`${sim.adminUrl}/state`, { headers: authorization ? { authorization } : {} })).status,
      ).toBe(401);
    }
    expect((await getSimState(sim)).injected.failNext).toEqual(before.injected.failNext);
    expect((await vastApi(sim).call('POST', '/api/v0/bundles/', { limit: 1 })).status).toBe(200);

    await failNext(sim, { endpoint: 'search', status: 503 });
    expect((await vastApi(sim).call('POST', '/api/v0/bundles/', { limit: 1 })).status).toBe(503);
  });

  it('makes a new key at every start', async () => {
    const other = await startTestSimulator({ offers: 50 });
    try {
      expect(other.adminKey).not.toBe(sim.adminKey);
      expect(other.adminKey.length).toBeGreaterThanOrEqual(32);
      const crossed = await fetch(`${other.adminUrl}/state`, {
        headers: { authorization: `Bearer ${sim.adminKey}` },
      });
      expect(crossed.status).toBe(401);
    } finally {
      await other.close();
    }
  });
});
