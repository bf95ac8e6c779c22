import { timingSafeEqual } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { invalidArgs, SimApiError } from './api-error.ts';
import type { FailureInjector, InjectedFault, SimEndpoint } from './failure-injector.ts';
import type { CreateInstanceInput, InstanceRegistry } from './instance-registry.ts';
import type { Market } from './market.ts';
import { parseOfferSearch } from './offer-query.ts';
import type { FaultRateInput, HostFailureTarget, OfferGoneTarget, SimAdmin } from './sim-admin.ts';
import { SIM_USER_ID, type SshKeyring } from './ssh-keyring.ts';
import { listInstancesPage } from './v1-instances.ts';

export interface SimServerDeps {
  market: Market;
  registry: InstanceRegistry;
  keyring: SshKeyring;
  injector: FailureInjector;
  admin: SimAdmin;
  /** When set, API requests must carry it; otherwise any non-empty key is accepted. */
  apiKey?: string | undefined;
  /** What `/admin/*` requires as `Authorization: Bearer <key>`. */
  adminKey: string;
  /** The account's prepaid credit, USD. */
  credit: number;
  logger: Logger;
  /** Called after account changes (SSH keys) that should be persisted. */
  onChange: () => void;
}

const DEFAULT_DISK_GB = 10;
/** vast.ai refuses longer labels (and asks for under 128 characters). */
const MAX_LABEL_LENGTH = 1024;

/** vast.ai's 429 body: plain text, no Retry-After header. */
const TOO_FREQUENT = 'API requests too frequent';

/** What the gateway in front of vast.ai answers when the backend is in trouble. */
function gatewayPage(status: number): string {
  const title =
    status === 502
      ? '502 Bad Gateway'
      : status === 503
        ? '503 Service Temporarily Unavailable'
        : '504 Gateway Time-out';
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function sendInjected(reply: FastifyReply, status: number): FastifyReply {
  reply.code(status);
  if (status === 429) return reply.type('text/plain; charset=utf-8').send(TOO_FREQUENT);
  if (status === 500) {
    return reply
      .type('application/json')
      .send({ success: false, error: 'server_error', msg: 'Internal server error.' });
  }
  return reply.type('text/html').send(gatewayPage(status));
}

/** Which API call a request is, for failure injection; null for what is not the vast API. */
function endpointOf(request: FastifyRequest): SimEndpoint | null {
  const route = request.routeOptions.url;
  if (!route?.startsWith('/api/')) return null;
  if (route.includes('/bundles') || route.includes('/search/asks')) return 'search';
  if (route.startsWith('/api/v0/asks/')) return 'create';
  if (route.startsWith('/api/v0/ssh/')) return 'ssh-keys';
  if (route.startsWith('/api/v0/users/current')) return 'user';
  if (route.endsWith('/instances/:id/')) {
    if (request.method === 'GET') return 'show';
    if (request.method === 'DELETE') return 'destroy';
    const state = (request.body as { state?: unknown } | undefined)?.state;
    return state === 'running' ? 'start' : state === 'stopped' ? 'stop' : 'label';
  }
  if (route.endsWith('/instances/')) return 'list';
  return null;
}

function bearerOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim() || null;
}

function apiKeyOf(request: FastifyRequest): string | null {
  if (request.headers.authorization) return bearerOf(request);
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : null;
}

/** Compares in constant time, so how long a refusal takes says nothing about the key. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isLoopback(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1' || ip.startsWith('127.');
}

function parseJsonText(text: string, what: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalidArgs(`${what} is not valid JSON.`);
  }
}

function idParam(raw: string): number | null {
  return /^\d+$/.test(raw) ? Number(raw) : null;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalidArgs('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** vast.ai also takes env as docker options: "-e KEY=value -p 8080:8080". */
function parseDockerOptions(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const tokens = text.trim().split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const flag = tokens[i];
    const value = tokens[i + 1];
    if (value === undefined) break;
    if (flag === '-e') {
      const eq = value.indexOf('=');
      if (eq > 0) env[value.slice(0, eq)] = value.slice(eq + 1);
      i++;
    } else if (flag === '-p') {
      env[`-p ${value}`] = '1';
      i++;
    }
  }
  return env;
}

function parseCreateBody(offerId: number, raw: unknown): CreateInstanceInput {
  const body = asObject(raw);
  const image = body.image;
  if (typeof image !== 'string' || image.trim() === '') {
    throw invalidArgs(
      body.template_hash_id
        ? 'The simulator has no templates: give image.'
        : 'image is required: the Docker image to run, e.g. "pytorch/pytorch:latest".',
    );
  }
  const diskRaw = body.disk ?? DEFAULT_DISK_GB;
  const disk = typeof diskRaw === 'string' ? Number(diskRaw) : diskRaw;
  if (typeof disk !== 'number' || !Number.isFinite(disk) || disk <= 0) {
    throw invalidArgs('disk must be a positive number of GB.');
  }
  let env: Record<string, string> = {};
  if (typeof body.env === 'string') env = parseDockerOptions(body.env);
  else if (body.env !== undefined && body.env !== null) {
    env = Object.fromEntries(Object.entries(asObject(body.env)).map(([k, v]) => [k, String(v)]));
  }
  if (body.label !== undefined && body.label !== null && typeof body.label !== 'string') {
    throw invalidArgs('label must be a string.');
  }
  if (body.onstart !== undefined && body.onstart !== null && typeof body.onstart !== 'string') {
    throw invalidArgs('onstart must be a string (a shell script).');
  }
  const args = body.args;
  if (
    args !== undefined &&
    args !== null &&
    (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
  ) {
    throw invalidArgs('args must be a list of strings.');
  }
  const price = body.price;
  if (price !== undefined && price !== null && (typeof price !== 'number' || !(price > 0))) {
    throw invalidArgs('price (a bid, USD per hour) must be a positive number.');
  }
  return {
    offerId,
    image: image.trim(),
    env,
    disk,
    label: typeof body.label === 'string' ? body.label : null,
    onstart: typeof body.onstart === 'string' && body.onstart.trim() !== '' ? body.onstart : null,
    runtype: typeof body.runtype === 'string' && body.runtype !== '' ? body.runtype : 'ssh',
    args: (args as string[] | undefined | null) ?? [],
    bidPrice: typeof price === 'number' ? price : null,
  };
}

/**
 * The HTTP face of the simulator: the vast.ai REST subset under /api, failure injection and
 * inspection under /admin (loopback callers with the simulator's admin key only).
 */
export function buildSimServer(deps: SimServerDeps): FastifyInstance {
  const { market, registry, keyring, injector, admin } = deps;
  const app = Fastify({
    // pino's Logger is what fastify logs through; only the generic parameter differs.
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Lenient like vast.ai's backend: an empty body is {}, and JSON is read whatever the
  // content type says (fetch sends text/plain for a string body).
  const jsonParser = (
    _req: FastifyRequest,
    body: string,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    try {
      done(null, parseJsonText(body, 'The request body'));
    } catch (err) {
      done(err as Error);
    }
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonParser);
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonParser);

  const appliedFailures = new WeakMap<FastifyRequest, InjectedFault>();

  app.addHook('preHandler', async (request, reply) => {
    const url = request.url;
    if (url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?')) {
      if (!isLoopback(request.ip)) {
        return reply
          .code(403)
          .send({ success: false, error: 'forbidden', msg: 'The admin API answers loopback callers only.' });
      }
      const key = bearerOf(request);
      if (key === null || !sameSecret(key, deps.adminKey)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="gpuops-sim-admin"')
          .send({
            success: false,
            error: 'auth_error',
            msg:
              key === null
                ? 'The admin API needs the key the simulator made at start: send Authorization: Bearer <key> (gpuops sim leaves it in <data dir>/admin-key).'
                : 'Wrong admin key; the simulator makes a new one at every start.',
          });
      }
      return;
    }
    const endpoint = endpointOf(request);
    if (endpoint === null) return;
    const key = apiKeyOf(request);
    if (key === null || (deps.apiKey !== undefined && key !== deps.apiKey)) {
      return reply.code(401).send({
        success: false,
        error: 'auth_error',
        // vast.ai's words for a key it does not know; its CLI reads them.
        msg: key === null ? 'No API key: send Authorization: Bearer <key>.' : 'Invalid user key',
      });
    }
    const fault = injector.faultFor(endpoint, Date.now());
    if (fault && !fault.applied) return sendInjected(reply, fault.status);
    if (fault) appliedFailures.set(request, fault);
  });

  // A failure injected with `applied`: the work is done, the answer replaced.
  app.addHook('onSend', async (request, reply, payload) => {
    const rule = appliedFailures.get(request);
    if (!rule) return payload;
    appliedFailures.delete(request);
    reply.code(rule.status);
    if (rule.status === 429) {
      reply.type('text/plain; charset=utf-8');
      return TOO_FREQUENT;
    }
    if (rule.status === 500) {
      reply.type('application/json');
      return JSON.stringify({ success: false, error: 'server_error', msg: 'Internal server error.' });
    }
    reply.type('text/html');
    return gatewayPage(rule.status);
  });

  // vast.ai labels its JSON `application/json` exactly, and its CLI refuses search answers
  // labelled any other way (fastify would add "; charset=utf-8").
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/api/')) return payload;
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) {
      reply.header('content-type', 'application/json');
    }
    return payload;
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof SimApiError) return reply.code(err.status).send(err.toBody());
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      return reply
        .code(e.statusCode)
        .send({ success: false, error: 'invalid_args', msg: e.message ?? 'Bad request.' });
    }
    request.log.error({ err, url: request.url }, 'sim request failed');
    return reply.code(500).send({ success: false, error: 'server_error', msg: 'Internal server error.' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      success: false,
      error: 'not_found',
      msg: `No such endpoint: ${request.method} ${request.url}`,
    }),
  );

  // ---- offers
  // vast.ai's CLI builds its --gpu-name choices from this before any command, without a key.
  const gpuNames = [...new Set(market.machines.map((m) => m.model.marketName))].sort();
  app.get('/api/v0/gpu_names/unique/', async () => ({ gpu_names: gpuNames }));
  const search = async (body: unknown) => {
    const query = parseOfferSearch(body);
    return { offers: await registry.run((now) => market.search(query, now)) };
  };
  app.post('/api/v0/bundles/', (request) => search(request.body));
  app.get('/api/v0/bundles/', (request) => {
    const q = (request.query as Record<string, unknown>).q;
    return search(typeof q === 'string' ? parseJsonText(q, 'q') : {});
  });
  // The older CLI's search path.
  app.put('/api/v0/search/asks/', (request) => search(request.body));

  // ---- instances
  app.put<{ Params: { id: string } }>('/api/v0/asks/:id/', async (request) => {
    const offerId = idParam(request.params.id);
    if (offerId === null)
      throw new SimApiError(410, 'no_such_ask', `Instance type by id ${request.params.id} is not available.`);
    const input = parseCreateBody(offerId, request.body);
    const inject = injector.takeNextCreate();
    try {
      const id = await registry.create(input, inject);
      return { success: true, new_contract: id };
    } catch (err) {
      // A host failure waits for a create that actually rents something.
      if (inject.hostFailure) injector.armNextCreate('hostFailure');
      throw err;
    }
  });

  // Deprecated on vast.ai (its CLI lists through v1), still answered there.
  app.get('/api/v0/instances/', async () => ({ instances: await registry.list() }));

  app.get('/api/v1/instances/', async (request) =>
    listInstancesPage(await registry.list(), request.query as Record<string, unknown>),
  );

  app.get<{ Params: { id: string } }>('/api/v0/instances/:id/', async (request) => {
    const id = idParam(request.params.id);
    return { instances: id === null ? null : await registry.show(id) };
  });

  app.put<{ Params: { id: string } }>('/api/v0/instances/:id/', async (request) => {
    const id = idParam(request.params.id);
    if (id === null)
      throw new SimApiError(404, 'no_such_instance', `Instance ${request.params.id} not found.`);
    const body = asObject(request.body);
    const { state, label } = body;
    if (state === undefined && label === undefined) {
      throw invalidArgs('Nothing to change: give state ("running" or "stopped") or label.');
    }
    if (state !== undefined && state !== 'running' && state !== 'stopped') {
      throw invalidArgs(`state must be "running" or "stopped", not ${JSON.stringify(state)}.`);
    }
    if (label !== undefined && label !== null && typeof label !== 'string')
      throw invalidArgs('label must be a string.');
    if (typeof label === 'string' && label.length > MAX_LABEL_LENGTH) {
      throw new SimApiError(
        400,
        'label_too_long',
        `Please limit label length to ${MAX_LABEL_LENGTH} characters, ideally less than 128.`,
      );
    }
    if (label !== undefined) await registry.setLabel(id, label ?? '');
    if (state === undefined) return { success: true, msg: `label for ${id} set to '${label ?? ''}'` };
    return registry.changeState(id, state, body.cancel_unavail === true);
  });

  app.delete<{ Params: { id: string } }>('/api/v0/instances/:id/', async (request) => {
    const id = idParam(request.params.id);
    // vast.ai's destroy says not_found where its other instance calls say no_such_instance.
    const notFound = () => new SimApiError(404, 'not_found', 'Instance not found');
    if (id === null) throw notFound();
    try {
      await registry.destroy(id);
    } catch (err) {
      if (err instanceof SimApiError && err.status === 404) throw notFound();
      throw err;
    }
    return { success: true, msg: `Destroying instance ${id}.` };
  });

  // ---- SSH keys of the account
  app.post('/api/v0/ssh/', async (request) => {
    const sshKey = asObject(request.body).ssh_key;
    if (typeof sshKey !== 'string' || sshKey.trim() === '') {
      throw invalidArgs('ssh_key is required: an OpenSSH public key ("ssh-ed25519 AAAA... comment").');
    }
    const key = keyring.add(sshKey);
    deps.onChange();
    return { success: true, key: keyring.toWire(key) };
  });
  // The account as vast.ai's "show user" answers it. Its CLI removes api_key before printing
  // (and fails without it); the rest are the columns it prints, with what the simulator knows.
  app.get('/api/v0/users/current/', async (request) => {
    const firstKey = keyring.list()[0];
    return {
      id: SIM_USER_ID,
      key_id: SIM_USER_ID,
      api_key: apiKeyOf(request),
      sid: null,
      username: 'simulated',
      fullname: 'Simulated Account',
      user: 'simulated',
      email: 'simulated@localhost',
      email_verified: true,
      credit: deps.credit,
      balance: 0,
      balance_threshold: 0,
      balance_threshold_enabled: false,
      billaddress_city: null,
      billaddress_country: null,
      billaddress_line1: null,
      billaddress_line2: null,
      billaddress_zip: null,
      billed_expected: 0,
      billed_verified: 0,
      billing_creditonly: true,
      can_pay: deps.credit > 0,
      got_signup_credit: false,
      has_billing: false,
      has_payout: false,
      last4: null,
      paid_expected: 0,
      paid_verified: 0,
      password_resettable: false,
      paypal_email: null,
      ssh_key: firstKey ? firstKey.publicKey : null,
    };
  });
  // A bare JSON array, each key under `key` (the answer to adding one says `public_key`).
  app.get('/api/v0/ssh/', async () => keyring.list().map((k) => keyring.toListWire(k)));
  app.delete<{ Params: { id: string } }>('/api/v0/ssh/:id/', async (request) => {
    const id = idParam(request.params.id);
    if (id === null || !keyring.remove(id)) {
      throw new SimApiError(404, 'no_ssh_key', `SSH key ${request.params.id} not found.`);
    }
    deps.onChange();
    return { success: true };
  });

  // ---- admin
  app.post('/admin/fail-next', async (request) => ({
    success: true,
    rule: admin.failNext(asObject(request.body)),
  }));
  app.post('/admin/rate-limit', async (request) => ({
    success: true,
    rule: admin.rateLimit(asObject(request.body)),
  }));
  app.post('/admin/fault-rate', async (request) => ({
    success: true,
    rule: admin.faultRate(asObject(request.body) as unknown as FaultRateInput),
  }));
  app.post('/admin/host-failure', (request) =>
    admin.hostFailure(asObject(request.body) as unknown as HostFailureTarget),
  );
  app.post('/admin/offer-gone', (request) =>
    admin.offerGone(asObject(request.body) as unknown as OfferGoneTarget),
  );
  app.post('/admin/market-pressure', (request) =>
    admin.marketPressure(asObject(request.body) as unknown as { instance_id: number }),
  );
  app.get('/admin/state', () => admin.state());
  app.post('/admin/reset', async () => {
    await admin.reset();
    return { success: true };
  });

  return app;
}
