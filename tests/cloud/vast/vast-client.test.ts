import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { VastClient, type VastClientOptions } from '../../../src/cloud/vast/vast-client.ts';
import type { VastCreateInstanceBody } from '../../../src/cloud/vast/vast-schemas.ts';
import { ErrorCode, GpuopsError } from '../../../src/errors.ts';
import {
  freePort,
  rawInstance,
  rawOffer,
  type StubHandler,
  startVastStub,
  type VastStub,
} from './vast-stub.ts';

const API_KEY = 'vk_test_5f1c0ffee5ecret';

let stubs: VastStub[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.close()));
  stubs = [];
});

async function stub(handler: StubHandler, port?: number): Promise<VastStub> {
  const s = await startVastStub(handler, port);
  stubs.push(s);
  return s;
}

function client(baseUrl: string, options: Partial<VastClientOptions> = {}): VastClient {
  return new VastClient({
    baseUrl,
    apiKey: API_KEY,
    timeoutMs: 2_000,
    retries: 3,
    backoffMinMs: 10,
    backoffFactor: 2,
    ...options,
  });
}

async function caught(promise: Promise<unknown>): Promise<GpuopsError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GpuopsError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const createBody: VastCreateInstanceBody = {
  client_id: 'me',
  image: 'pytorch/pytorch:latest',
  env: {},
  disk: 40,
  label: 'gpuops:op-9',
  runtype: 'ssh_direct',
};

describe('VastClient', () => {
  it('posts the search query as JSON with a Bearer key and parses the offers, nulls and extra fields included', async () => {
    const s = await stub(() => ({
      json: { offers: [rawOffer(), rawOffer({ id: 2, gpu_ram: null, geolocation: null })] },
    }));
    const query = {
      gpu_name: { eq: 'RTX 4090' },
      limit: 5,
      order: [['dph_total', 'asc']] as Array<[string, 'asc']>,
    };

    const offers = await client(s.baseUrl).searchOffers(query);

    expect(s.requests).toHaveLength(1);
    const [req] = s.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/v0/bundles/');
    expect(req?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual(query);
    expect(offers.map((o) => o.id)).toEqual([9_100_001, 2]);
    expect(offers[0]).toMatchObject({
      gpu_name: 'RTX 4090',
      gpu_ram: 24_564,
      dph_total: 0.391,
      bundle_id: 77,
    });
    expect(offers[1]?.gpu_ram).toBeNull();
  });

  it('skips an offer without an id instead of failing the whole search', async () => {
    const s = await stub(() => ({
      json: { offers: [rawOffer({ id: null }), rawOffer({ id: '17', dph_total: '0.5' })] },
    }));
    const offers = await client(s.baseUrl).searchOffers({});
    expect(offers.map((o) => [o.id, o.dph_total])).toEqual([[17, 0.5]]);
  });

  it('retries a plain-text 429 with growing delays and then succeeds', async () => {
    const s = await stub((_req, i) =>
      i < 2 ? { status: 429, text: 'API requests too frequent' } : { json: { offers: [rawOffer()] } },
    );
    const offers = await client(s.baseUrl, { backoffMinMs: 40, backoffFactor: 4 }).searchOffers({});

    expect(offers).toHaveLength(1);
    expect(s.requests).toHaveLength(3);
    const [first, second, third] = s.requests.map((r) => r.at) as [number, number, number];
    // Jitter keeps each delay within [base, 2·base): 40-80 ms, then 160-320 ms.
    expect(second - first).toBeGreaterThanOrEqual(38);
    expect(third - second).toBeGreaterThanOrEqual(158);
    expect(third - second).toBeGreaterThan(second - first);
  });

  it('waits at least as long as a Retry-After header asks', async () => {
    const s = await stub((_req, i) =>
      i === 0
        ? { status: 429, text: 'slow down', headers: { 'retry-after': '1' } }
        : { json: { offers: [] } },
    );
    await client(s.baseUrl).searchOffers({});
    const [first, second] = s.requests.map((r) => r.at) as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(990);
  });

  it('gives up on a Retry-After beyond its limit and reports the wait', async () => {
    const s = await stub(() => ({
      status: 429,
      text: 'API requests too frequent',
      headers: { 'retry-after': '120' },
    }));
    const err = await caught(client(s.baseUrl).searchOffers({}));
    expect(s.requests).toHaveLength(1);
    expect(err.code).toBe(ErrorCode.ProviderRateLimited);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('wait 120 s');
  });

  it('reports a 429 that outlasts the retry budget as rate-limited and retryable', async () => {
    const s = await stub(() => ({ status: 429, text: 'API requests too frequent' }));
    const err = await caught(client(s.baseUrl, { retries: 2 }).listInstances());
    expect(s.requests).toHaveLength(3);
    expect(err.code).toBe(ErrorCode.ProviderRateLimited);
    expect(err.retryable).toBe(true);
  });

  it('reports a 503 past the retry budget as ProviderUnavailable and retryable', async () => {
    const s = await stub(() => ({ status: 503, text: '<html>Service Unavailable</html>' }));
    const err = await caught(client(s.baseUrl, { retries: 2 }).searchOffers({}));
    expect(s.requests).toHaveLength(3);
    expect(err.code).toBe(ErrorCode.ProviderUnavailable);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('HTTP 503 after 3 attempts');
  });

  it('retries a 500 on an idempotent call', async () => {
    const s = await stub((_req, i) =>
      i === 0 ? { status: 500, json: { error: 'oops' } } : { json: { offers: [] } },
    );
    await client(s.baseUrl).searchOffers({});
    expect(s.requests).toHaveLength(2);
  });

  it('maps 401 to ProviderAuth without retrying and never echoes the key', async () => {
    const s = await stub(() => ({
      status: 401,
      json: { success: false, error: 'auth', msg: `bad key ${API_KEY}` },
    }));
    const err = await caught(client(s.baseUrl).searchOffers({}));
    expect(s.requests).toHaveLength(1);
    expect(err.code).toBe(ErrorCode.ProviderAuth);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('vast.ai rejected the API key; check VAST_API_KEY.');
    expect(JSON.stringify({ json: err.toJSON(), details: err.details, stack: err.stack })).not.toContain(
      API_KEY,
    );
  });

  it('maps 403 to ProviderAuth too', async () => {
    const s = await stub(() => ({ status: 403, text: 'forbidden' }));
    const err = await caught(client(s.baseUrl).listSshKeys());
    expect(err.code).toBe(ErrorCode.ProviderAuth);
  });

  it('redacts the key from a vast.ai message it passes on', async () => {
    const s = await stub(() => ({
      status: 400,
      json: { success: false, error: 'invalid_args', msg: `key ${API_KEY} lacks scope` },
    }));
    const err = await caught(client(s.baseUrl).searchOffers({}));
    expect(err.code).toBe(ErrorCode.ProviderRejected);
    expect(err.message).toBe('vast.ai refused to search offers: key [redacted] lacks scope');
  });

  it('redacts a key that a long vast.ai message cuts in half where it is clipped', async () => {
    const filler = 'x'.repeat(300 - 'key '.length - 10);
    const s = await stub(() => ({
      status: 400,
      json: { success: false, error: 'invalid_args', msg: `key ${filler}${API_KEY} lacks scope` },
    }));
    const err = await caught(client(s.baseUrl).searchOffers({}));
    expect(err.message).toContain('[redacted]');
    expect(err.message).not.toContain(API_KEY.slice(0, 10));
  });

  it('fails a hanging server within the timeout as ProviderUnavailable', async () => {
    const s = await stub(() => ({ hang: true }));
    const started = performance.now();
    const err = await caught(client(s.baseUrl, { timeoutMs: 200, retries: 1 }).searchOffers({}));
    const elapsed = performance.now() - started;

    expect(err.code).toBe(ErrorCode.ProviderUnavailable);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('did not answer within 200 ms');
    expect(s.requests).toHaveLength(2);
    // Two attempts of 200 ms plus one short backoff.
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('reports an unreachable server with the host and a hint', async () => {
    const port = await freePort();
    const err = await caught(client(`http://127.0.0.1:${port}`, { retries: 1 }).listInstances());
    expect(err.code).toBe(ErrorCode.ProviderUnavailable);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('ECONNREFUSED');
  });

  describe('createInstance', () => {
    it('sends PUT /api/v0/asks/{id}/ with the body and returns new_contract', async () => {
      const s = await stub(() => ({ json: { success: true, new_contract: 31_337 } }));
      const id = await client(s.baseUrl).createInstance(9_100_001, createBody);
      expect(id).toBe(31_337);
      expect(s.requests[0]).toMatchObject({ method: 'PUT', path: '/api/v0/asks/9100001/', body: createBody });
    });

    it('is not retried on 500 and says the rental may or may not have happened', async () => {
      const s = await stub(() => ({ status: 500, text: 'Internal Server Error' }));
      const err = await caught(client(s.baseUrl).createInstance(5, createBody));
      expect(s.requests).toHaveLength(1);
      expect(err.code).toBe(ErrorCode.ProviderUnavailable);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('may or may not have happened');
      expect(err.message).toContain('gpuops:op-9');
      expect(err.details).toMatchObject({ offerId: 5, label: 'gpuops:op-9', outcome: 'unknown' });
    });

    it('is not retried when the server times out', async () => {
      const s = await stub(() => ({ hang: true }));
      const err = await caught(client(s.baseUrl, { timeoutMs: 150 }).createInstance(5, createBody));
      expect(s.requests).toHaveLength(1);
      expect(err.code).toBe(ErrorCode.ProviderUnavailable);
      expect(err.details.outcome).toBe('unknown');
    });

    it('is retried on 429, which vast.ai answers before acting', async () => {
      const s = await stub((_req, i) =>
        i === 0
          ? { status: 429, text: 'API requests too frequent' }
          : { json: { success: true, new_contract: 8 } },
      );
      await expect(client(s.baseUrl).createInstance(5, createBody)).resolves.toBe(8);
      expect(s.requests).toHaveLength(2);
    });

    it('is retried when the connection was refused, since nothing reached vast.ai', async () => {
      const port = await freePort();
      const c = client(`http://127.0.0.1:${port}`, { backoffMinMs: 150, retries: 3 });
      const renting = c.createInstance(5, createBody);
      // The server comes up after the first attempt was refused and before the retry.
      await new Promise((resolve) => setTimeout(resolve, 40));
      const s = await stub(() => ({ json: { success: true, new_contract: 9 } }), port);
      await expect(renting).resolves.toBe(9);
      expect(s.requests).toHaveLength(1);
    });

    it.each([
      [
        '410 no_such_ask',
        410,
        { success: false, error: 'no_such_ask', msg: 'Instance type no longer available.' },
      ],
      ['404', 404, { success: false, error: 'not_found', msg: 'not found' }],
      ['400 with no_such_ask as msg', 400, { success: false, msg: 'no_such_ask' }],
      [
        '200 with success:false',
        200,
        { success: false, error: 'invalid_args', msg: 'This offer is no longer available' },
      ],
    ])('maps a gone offer (%s) to OfferGone', async (_name, status, json) => {
      const s = await stub(() => ({ status, json }));
      const err = await caught(client(s.baseUrl).createInstance(5, createBody));
      expect(s.requests).toHaveLength(1);
      expect(err.code).toBe(ErrorCode.OfferGone);
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('Offer 5 is no longer available');
    });

    it('passes any other refusal on as ProviderRejected with vast.ai’s message', async () => {
      const s = await stub(() => ({
        status: 400,
        json: { success: false, error: 'invalid_args', msg: 'image is not a valid docker image' },
      }));
      const err = await caught(client(s.baseUrl).createInstance(5, createBody));
      expect(err.code).toBe(ErrorCode.ProviderRejected);
      expect(err.message).toBe('vast.ai refused to rent offer 5: image is not a valid docker image');
    });

    it('treats a 200 without new_contract as an unknown outcome', async () => {
      const s = await stub(() => ({ status: 200, text: '<html>maintenance</html>' }));
      const err = await caught(client(s.baseUrl).createInstance(5, createBody));
      expect(err.code).toBe(ErrorCode.ProviderUnavailable);
      expect(err.details.outcome).toBe('unknown');
    });
  });

  describe('instances', () => {
    it('shows an instance with owner=me', async () => {
      const s = await stub(() => ({ json: { instances: rawInstance() } }));
      const instance = await client(s.baseUrl).showInstance('31337');
      expect(s.requests[0]).toMatchObject({
        method: 'GET',
        path: '/api/v0/instances/31337/',
        query: { owner: 'me' },
      });
      expect(instance?.id).toBe(31_337);
      expect(instance?.ports?.['22/tcp']?.[0]?.HostPort).toBe('41234');
    });

    it('returns null for {"instances": null}', async () => {
      const s = await stub(() => ({ json: { instances: null } }));
      await expect(client(s.baseUrl).showInstance(12)).resolves.toBeNull();
    });

    it('returns null for a 404', async () => {
      const s = await stub(() => ({
        status: 404,
        json: { success: false, error: 'no_such_instance', msg: 'no' },
      }));
      await expect(client(s.baseUrl).showInstance(12)).resolves.toBeNull();
    });

    it('refuses an id that is not digits before sending anything', async () => {
      const s = await stub(() => ({ json: {} }));
      const err = await caught(client(s.baseUrl).showInstance('12/../../ssh'));
      expect(err.code).toBe(ErrorCode.BadInput);
      expect(s.requests).toHaveLength(0);
    });

    it('lists instances through v1 pages of 25 by id, following next_token until it is null', async () => {
      const s = await stub((req) =>
        req.query.after_token === 'page2'
          ? { json: { instances: [rawInstance({ id: 3 })], next_token: null, total_instances: 3 } }
          : { json: { instances: [rawInstance({ id: 1 }), rawInstance({ id: 2 })], next_token: 'page2' } },
      );
      const list = await client(s.baseUrl).listInstances();
      expect(list.map((i) => i.id)).toEqual([1, 2, 3]);
      expect(s.requests).toHaveLength(2);
      const firstPage = { limit: '25', order_by: '[{"col":"id","dir":"asc"}]' };
      expect(s.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/instances/', query: firstPage });
      expect(s.requests[1]?.query).toEqual({ ...firstPage, after_token: 'page2' });
    });

    it('fails rather than loop or stop short when the server hands out the same next_token again', async () => {
      const s = await stub(() => ({ json: { instances: [rawInstance({ id: 1 })], next_token: 'again' } }));
      const err = await caught(client(s.baseUrl).listInstances());
      expect(err.code).toBe(ErrorCode.ProviderUnavailable);
      expect(err.message).toContain('the same next_token twice');
      expect(s.requests).toHaveLength(2);
    });

    it('starts and stops with PUT {"state"} and labels with PUT {"label"}', async () => {
      const s = await stub(() => ({ json: { success: true } }));
      const c = client(s.baseUrl);
      await c.setState(7, 'running');
      await c.setState(7, 'stopped');
      await c.setLabel(7, 'gpuops:op-1');
      expect(s.requests.map((r) => [r.method, r.path, r.body])).toEqual([
        ['PUT', '/api/v0/instances/7/', { state: 'running', cancel_unavail: true }],
        ['PUT', '/api/v0/instances/7/', { state: 'stopped' }],
        ['PUT', '/api/v0/instances/7/', { label: 'gpuops:op-1' }],
      ]);
    });

    it('maps a start refused for lack of resources to ResumeUnavailable', async () => {
      const s = await stub(() => ({
        status: 400,
        json: {
          success: false,
          error: 'resources_unavailable',
          msg: 'Required resources are unavailable on this machine.',
        },
      }));
      const err = await caught(client(s.baseUrl).setState(7, 'running'));
      expect(err.code).toBe(ErrorCode.ResumeUnavailable);
      expect(err.message).toContain('Destroy it and deploy a new one');
    });

    it('destroys with DELETE and an empty JSON body', async () => {
      const s = await stub(() => ({ json: { success: true } }));
      await client(s.baseUrl).destroyInstance(7);
      expect(s.requests[0]).toMatchObject({ method: 'DELETE', path: '/api/v0/instances/7/', body: {} });
    });

    it('reports a missing instance as InstanceNotFound', async () => {
      const s = await stub(() => ({
        status: 404,
        json: { success: false, error: 'no_such_instance', msg: 'Instance not found' },
      }));
      const err = await caught(client(s.baseUrl).destroyInstance(7));
      expect(err.code).toBe(ErrorCode.InstanceNotFound);
    });
  });

  describe('ssh keys', () => {
    it('adds a key with POST {"ssh_key"} and lists keys from a bare list', async () => {
      const s = await stub((req) =>
        req.method === 'GET'
          ? { json: [{ id: 1, user_id: 2, public_key: 'ssh-ed25519 AAAA a@b', created_at: '2025-01-01' }] }
          : { json: { success: true, key: { id: 2 } } },
      );
      const c = client(s.baseUrl);
      await c.addSshKey('ssh-ed25519 BBBB c@d');
      const keys = await c.listSshKeys();
      expect(s.requests[0]).toMatchObject({
        method: 'POST',
        path: '/api/v0/ssh/',
        body: { ssh_key: 'ssh-ed25519 BBBB c@d' },
      });
      expect(keys.map((k) => k.public_key)).toEqual(['ssh-ed25519 AAAA a@b']);
    });

    it('does not retry adding a key after a 502', async () => {
      const s = await stub(() => ({ status: 502, text: 'Bad Gateway' }));
      const err = await caught(client(s.baseUrl).addSshKey('ssh-ed25519 BBBB'));
      expect(s.requests).toHaveLength(1);
      expect(err.code).toBe(ErrorCode.ProviderUnavailable);
      expect(err.retryable).toBe(true);
    });
  });

  it('logs requests and retries without the key or request bodies', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const s = await stub((_req, i) => (i === 0 ? { status: 503, text: 'busy' } : { json: { offers: [] } }));
    await client(s.baseUrl, { logger }).searchOffers({ gpu_name: { eq: 'secret-ish query value' } });

    expect(logged).toContain('"op":"searchOffers"');
    expect(logged).toContain('retrying');
    expect(logged).not.toContain(API_KEY);
    expect(logged).not.toContain('secret-ish query value');
  });

  it('accepts an empty 2xx for calls that need no answer', async () => {
    const s = await stub(() => ({ status: 200, text: '' }));
    await expect(client(s.baseUrl).destroyInstance(7)).resolves.toBeUndefined();
  });

  it('rejects an empty API key at construction, naming the variable', () => {
    expect(
      () => new VastClient({ baseUrl: 'http://127.0.0.1:1', apiKey: ' ', timeoutMs: 1_000, retries: 0 }),
    ).toThrow(/VAST_API_KEY/);
  });
});
