import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pTimeout from 'p-timeout';
import type { Registry } from 'prom-client';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { OPERATIONS_QUEUE } from '../jobs/queue/queue-names.ts';
import type { Runtime } from '../runtime.ts';
import { createMetricsRegistry } from './metrics-registry.ts';

/**
 * The one HTTP server `gpuops serve` runs on PORT: `/healthz` (the process is alive), `/readyz`
 * (everything it depends on answers), `/metrics` (Prometheus) and, when a password is set, the
 * queue dashboard at `/admin/queues`. Chat platforms that take HTTP requests (Slack) mount here too.
 */

/** How long one readiness check may take before it counts as down. */
const CHECK_TIMEOUT_MS = 3_000;

/** One thing /readyz asks about; resolves with a short detail, throws (or times out) when down. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<string | undefined>;
}

export interface CheckResult {
  ok: boolean;
  ms: number;
  detail?: string;
  error?: string;
}

/**
 * The server with its routes, not yet listening: everything that serves a path (Slack's
 * /slack/events) mounts here first, then `listen` opens the port, so no request ever reaches a
 * path that is still to come (a 404 Slack would count as a failed delivery).
 */
export interface PreparedHttpServer {
  app: FastifyInstance;
  registry: Registry;
  addReadinessCheck(check: ReadinessCheck): void;
  /** As HttpServer.mountRaw; only before `listen`. */
  mountRaw(path: string, listener: RawListener): void;
  /** Opens the port; after this, no path can be added. */
  listen(): Promise<HttpServer>;
  close(): Promise<void>;
}

export interface HttpServer {
  app: FastifyInstance;
  /** http://host:port, once listening. */
  url: string;
  registry: Registry;
  /** Adds a check to /readyz (a chat platform, as it starts). */
  addReadinessCheck(check: ReadinessCheck): void;
  /**
   * Serves `path` with a plain Node listener that reads the raw request itself (Slack's receiver
   * verifies its signature over the exact bytes, so Fastify must not parse the body first).
   */
  mountRaw(path: string, listener: RawListener): void;
  close(): Promise<void>;
}

export type RawListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The server of {@link prepareHttpServer}, listening at once (no path to mount first). */
export async function startHttpServer(
  runtime: Runtime,
  opts: { port?: number; host?: string } = {},
): Promise<HttpServer> {
  return (await prepareHttpServer(runtime, opts)).listen();
}

export async function prepareHttpServer(
  runtime: Runtime,
  opts: { port?: number; host?: string } = {},
): Promise<PreparedHttpServer> {
  const { config, database, operations, provider } = runtime;
  const db = database.db;
  const registry = createMetricsRegistry({
    queueDepth: () => operations.jobCounts(),
    async instances() {
      const row = await db
        .selectFrom('instances')
        .select((eb) => [
          eb.fn.countAll<string>().as('n'),
          eb.fn.sum<number | null>('price_per_hour').as('cost'),
        ])
        .where('state', 'in', ['running', 'provisioning', 'starting', 'stopping'])
        .executeTakeFirst();
      return { running: Number(row?.n ?? 0), costPerHour: Number(row?.cost ?? 0) };
    },
  });

  const checks: ReadinessCheck[] = [
    {
      name: 'database',
      async check() {
        await sql`select 1`.execute(db);
        return database.kind === 'pglite' ? 'embedded PGlite' : 'Postgres';
      },
    },
    {
      name: 'queue',
      async check() {
        const counts = await operations.jobCounts();
        return `${runtime.queueBackend.describe}; ${counts.waiting ?? 0} waiting, ${counts.active ?? 0} active`;
      },
    },
    {
      name: 'marketplace',
      async check() {
        const instances = await provider.listInstances();
        return `${runtime.simulator ? 'in-process simulated marketplace' : 'vast.ai API'}; ${instances.length} instances on the account`;
      },
    },
  ];

  const app = Fastify({ logger: false });
  const started = Date.now();
  const rawRoutes = new Map<string, RawListener>();
  app.addHook('onRequest', async (request, reply) => {
    const listener = rawRoutes.get(request.url.split('?')[0] ?? '');
    if (!listener) return;
    reply.hijack();
    listener(request.raw, reply.raw);
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    role: runtime.role,
    uptime_s: Math.round((Date.now() - started) / 1000),
  }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
    const ready = results.every(([, r]) => r.ok);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  if (config.http.dashboard) await mountDashboard(app, runtime, config.http.dashboard);

  const port = opts.port ?? config.http.port;
  const host = opts.host ?? config.http.host;
  let listening = false;
  const addReadinessCheck = (check: ReadinessCheck) => {
    checks.push(check);
  };
  return {
    app,
    registry,
    addReadinessCheck,
    mountRaw(path, listener) {
      if (listening) {
        throw new GpuopsError(
          ErrorCode.Internal,
          `${path} was mounted after the HTTP server started listening; mount every path first.`,
        );
      }
      rawRoutes.set(path, listener);
    },
    close: () => app.close(),
    async listen() {
      listening = true;
      try {
        await app.listen({ port, host });
      } catch (err) {
        await app.close();
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new GpuopsError(
            ErrorCode.ConfigInvalid,
            `Port ${port} on ${host} is already in use (another gpuops process?). Set PORT to another port, or PORT=0 for any free one.`,
            { cause: err },
          );
        }
        throw err;
      }
      const address = app.server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      runtime.log.info({ host, port: boundPort, raw: [...rawRoutes.keys()] }, 'http server listening');
      return {
        app,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
        registry,
        addReadinessCheck,
        mountRaw: () => {
          throw new GpuopsError(
            ErrorCode.Internal,
            'A path was mounted after the HTTP server started listening; mount every path first.',
          );
        },
        close: () => app.close(),
      };
    },
  };
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const started = performance.now();
  try {
    const detail = await pTimeout(check.check(), {
      milliseconds: CHECK_TIMEOUT_MS,
      message: `no answer in ${CHECK_TIMEOUT_MS} ms`,
    });
    return { ok: true, ms: Math.round(performance.now() - started), ...(detail && { detail }) };
  } catch (err) {
    return {
      ok: false,
      ms: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

/** bull-board at /admin/queues, behind HTTP basic auth. Loaded only when it is switched on. */
async function mountDashboard(
  app: FastifyInstance,
  runtime: Runtime,
  login: { user: string; password: string },
): Promise<void> {
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }, basicAuth] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
    import('@fastify/basic-auth'),
  ]);
  const backend = runtime.queueBackend;
  const queue = new backend.Queue(OPERATIONS_QUEUE, {
    connection: backend.connection,
    prefix: backend.prefix,
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  // bull-board types the queue it adapts as bullmq's default, Redis-typed Queue, yet shows a
  // Postgres-backed one too (it asks the queue's backend which datastore it is). Ours is that class
  // with other backend and connection type parameters, so a plain `as` suffices.
  type AdaptedQueue = ConstructorParameters<typeof BullMQAdapter>[0];
  createBullBoard({
    queues: [new BullMQAdapter(queue as AdaptedQueue)],
    serverAdapter,
  });
  await app.register(async (scope) => {
    await scope.register(basicAuth.default, {
      authenticate: { realm: 'gpuops queue dashboard' },
      async validate(user, password) {
        if (!(same(user, login.user) && same(password, login.password)))
          throw new Error('Wrong user or password.');
      },
    });
    scope.addHook('onRequest', scope.basicAuth);
    await scope.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
  });
  app.addHook('onClose', async () => {
    await queue.close();
  });
}

/** Compares secrets in constant time, so a wrong password's timing says nothing about the right one. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
