import {
  type BackendClasses,
  type BackendFactory,
  type ConnectionOptions,
  createPostgresBackend,
  createRedisBackend,
  type IQueueBackend,
  type PostgresConnectionOptions,
  type QueueBaseOptions,
  type QueueEventsOptions,
  runMigrations,
  type WorkerOptions,
  withBackend,
} from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type DatabaseHandle, describePostgresUrl } from '../../../db/database.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { type Logger, silentLogger } from '../../log.ts';

export type QueueBackendKind = 'redis' | 'postgres';

/** What BullMQ's `connection` option takes on either backend. */
export type QueueConnection = ConnectionOptions | PostgresConnectionOptions;

type Classes = BackendClasses<IQueueBackend, QueueConnection>;

/**
 * Where BullMQ keeps gpuops's jobs, and its classes bound to that place. Create every Queue,
 * Worker and QueueEvents through it, with its `connection` or `producerConnection` itself (a copy
 * is refused: the classes take either backend's kind of connection in type, so they check at run time):
 *
 * ```ts
 * new backend.Worker(name, fn, { connection: backend.connection, prefix: backend.prefix, ...backend.workerDefaults });
 * ```
 */
export interface QueueBackend {
  kind: QueueBackendKind;
  /** For people and logs, e.g. "Redis at 127.0.0.1:6379"; never carries a password. */
  describe: string;
  Queue: Classes['Queue'];
  Worker: Classes['Worker'];
  QueueEvents: Classes['QueueEvents'];
  connection: QueueConnection;
  /**
   * For Queues that only add jobs: on Redis, commands fail at once while Redis is down instead of
   * waiting for it to come back, so a chat request gets an answer. Same as `connection` on Postgres.
   */
  producerConnection: QueueConnection;
  /**
   * Redis key prefix. The Postgres backend ignores it (its namespace is the database and schema),
   * so there, queues are shared by everything using the same database.
   */
  prefix: string;
  /** Options a Worker needs on this backend (polling on the embedded database). */
  workerDefaults: Partial<WorkerOptions<QueueConnection>>;
  /** Options a QueueEvents needs on this backend (how often it looks for events without a wake-up). */
  queueEventsDefaults: Partial<QueueEventsOptions<QueueConnection>>;
  /** Closes the Workers, then the QueueEvents, then the Queues made from this backend and still open. */
  close(): Promise<void>;
}

export interface ResolveQueueBackendOptions {
  choice: 'auto' | 'redis' | 'postgres';
  /** REDIS_URL. Set: Redis, and it must answer. */
  redisUrl?: string | undefined;
  /** gpuops's database; the Postgres backend keeps its jobs there too. */
  database: DatabaseHandle;
  prefix: string;
  logger?: Logger | undefined;
  /** The schema BullMQ's tables live in on a real PostgreSQL. Default "bullmq". */
  postgresSchema?: string | undefined;
}

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Picks the queue's backend (DESIGN.md principle 2): Redis when REDIS_URL is set (or Redis is
 * asked for by name); otherwise BullMQ's PostgreSQL backend in gpuops's own database. `auto`
 * never goes looking for a Redis: a queue belongs to the deployment whose database it serves, and
 * a Redis that merely happens to answer locally may be another deployment's (or may answer for
 * one process of a fleet and not another, splitting it across two queues). A Redis that was asked
 * for must answer.
 */
export async function resolveQueueBackend(opts: ResolveQueueBackendOptions): Promise<QueueBackend> {
  const logger = opts.logger ?? silentLogger;
  let backend: QueueBackend;
  if (opts.choice !== 'postgres' && (opts.choice === 'redis' || opts.redisUrl !== undefined)) {
    const url = opts.redisUrl ?? LOCAL_REDIS_URL;
    if (!(await redisAnswers(url, 3_000))) {
      throw new GpuopsError(
        ErrorCode.QueueUnavailable,
        `The queue's Redis (${describeRedisUrl(url)}) does not answer. Start it or fix REDIS_URL; or unset ` +
          'REDIS_URL and GPUOPS_QUEUE_BACKEND to keep jobs in PostgreSQL.',
        { retryable: true },
      );
    }
    backend = redisBackend(url, opts.prefix, logger);
  } else {
    backend = await postgresBackend(opts, logger);
  }
  logger.info({ queue: backend.describe, choice: opts.choice }, 'queue backend chosen');
  return backend;
}

/** True when a Redis at `url` answers PING within `timeoutMs`. Never retries, never hangs. */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  let client: Redis;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
  } catch {
    return false;
  }
  // A refused connection is reported here too; without a listener ioredis logs it loudly.
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = (async () => {
    await client.connect();
    return (await client.ping()) === 'PONG';
  })().catch(() => false);
  try {
    return await Promise.race([ping, gaveUp]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

function redisBackend(url: string, prefix: string, logger: Logger): QueueBackend {
  // Workers and QueueEvents block on Redis and must wait out a reconnect rather than fail the
  // command: BullMQ requires maxRetriesPerRequest null for them, and it is harmless for Queues.
  const connection: ConnectionOptions = { url, maxRetriesPerRequest: null };
  const producerConnection: ConnectionOptions = { url, maxRetriesPerRequest: 1, enableOfflineQueue: false };
  return bind(
    createRedisBackend,
    {
      kind: 'redis',
      describe: describeRedisUrl(url),
      connection,
      producerConnection,
      prefix,
      workerDefaults: {},
      queueEventsDefaults: {},
    },
    logger,
  );
}

async function postgresBackend(opts: ResolveQueueBackendOptions, logger: Logger): Promise<QueueBackend> {
  const { database } = opts;
  const embedded = database.kind === 'pglite';
  // On the embedded database every socket connection shares PGlite's single session, and BullMQ's
  // own schema ("bullmq") breaks there: its per-connection search_path cannot hold. "public" works.
  const schema = embedded ? 'public' : (opts.postgresSchema ?? 'bullmq');
  await migrateQueueSchema(database.connectionString, schema);
  const connection: PostgresConnectionOptions = {
    connectionString: database.connectionString,
    schema,
    // Each Queue, Worker and QueueEvents owns a pool plus a LISTEN connection; keep the pools
    // small so a handful of them stay well inside max_connections (PGlite runs one query at a
    // time anyway).
    max: embedded ? 2 : 4,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  };
  return bind(
    createPostgresBackend,
    {
      kind: 'postgres',
      describe: embedded
        ? 'PostgreSQL (the embedded database)'
        : `${describePostgresUrl(database.connectionString)}, schema ${schema}`,
      connection,
      producerConnection: connection,
      prefix: opts.prefix,
      // NOTIFY sent on PGlite does not reach the other socket connections, so nothing wakes a
      // waiting Worker or QueueEvents: they poll, and these intervals keep jobs starting and
      // progress arriving within ~200 ms. On a real PostgreSQL, NOTIFY wakes them, but BullMQ
      // sends at most one event wake-up per queue at a time, so QueueEvents also looks every second.
      workerDefaults: embedded ? { drainDelay: 0.2 } : {},
      queueEventsDefaults: { blockingTimeout: embedded ? 200 : 1_000 },
    },
    logger,
  );
}

/**
 * Creates or upgrades BullMQ's tables now, on one connection, so a database that cannot take
 * them fails at start-up with a clear message rather than on the first job. BullMQ serialises
 * concurrent migrations with an advisory lock.
 */
async function migrateQueueSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await runMigrations(client, schema);
  } catch (err) {
    throw new GpuopsError(
      ErrorCode.Internal,
      `Could not prepare the job queue's tables (schema ${schema}) in ${describePostgresUrl(connectionString)}: ` +
        `${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** host:port[/db] without the password. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, '');
    return `Redis at ${u.hostname}:${u.port || '6379'}${db && db !== '0' ? `/${db}` : ''}`;
  } catch {
    return 'Redis (unparsable URL)';
  }
}

interface Closable {
  close(force?: boolean): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  listenerCount(event: 'error'): number;
  readonly name: string;
  readonly closing: Promise<void> | undefined;
}

type BackendSettings = Omit<QueueBackend, 'Queue' | 'Worker' | 'QueueEvents' | 'close'>;

/**
 * Binds the settings to a backend's classes, subclassed so the backend can close whatever is
 * left open (a forgotten Worker keeps polling and holds the process open) and so errors nobody
 * listens for reach the log instead of BullMQ's console.error.
 */
function bind<B extends IQueueBackend, C extends QueueConnection>(
  factory: BackendFactory<B, C>,
  settings: BackendSettings & { connection: C; producerConnection: C },
  logger: Logger,
): QueueBackend {
  const workers = new Set<Closable>();
  const events = new Set<Closable>();
  const queues = new Set<Closable>();
  const classes: Classes = withBackend(
    ownConnectionsOnly(factory, [settings.connection, settings.producerConnection]),
  );
  const log = logger.child({ queueBackend: settings.kind });
  return {
    ...settings,
    Queue: tracked(classes.Queue, queues, log),
    Worker: tracked(classes.Worker, workers, log),
    QueueEvents: tracked(classes.QueueEvents, events, log),
    async close() {
      // Workers first: they finish their active jobs, which may still publish events.
      for (const open of [workers, events, queues]) {
        await Promise.allSettled([...open].map((instance) => instance.close()));
      }
    },
  };
}

/**
 * The backend's factory as QueueBackend's classes type it, taking either kind of connection: at
 * run time it takes only the connections this backend was made with, which are of its own kind,
 * and a Queue, Worker or QueueEvents given any other fails when it is made.
 */
function ownConnectionsOnly<B extends IQueueBackend, C extends QueueConnection>(
  factory: BackendFactory<B, C>,
  own: readonly C[],
): BackendFactory<IQueueBackend, QueueConnection> {
  const usesOwn = (opts: QueueBaseOptions<QueueConnection>): opts is QueueBaseOptions<C> =>
    own.some((connection) => connection === opts.connection);
  return (name, opts, options) => {
    if (!usesOwn(opts)) {
      throw new GpuopsError(
        ErrorCode.Internal,
        `Queue ${name} was given a connection its queue backend was not made with; pass the backend's connection or producerConnection.`,
      );
    }
    return factory(name, opts, options);
  };
}

// biome-ignore lint/suspicious/noExplicitAny: TypeScript requires a mixin's base to be constructible with (...args: any[]).
type Constructor<T> = new (...args: any[]) => T;

/** A subclass of `Base` that keeps its open instances in `open` and logs the errors nobody else listens for. */
function tracked<Base extends Constructor<Closable>>(Base: Base, open: Set<Closable>, log: Logger) {
  return class Tracked extends Base {
    // biome-ignore lint/suspicious/noExplicitAny: a mixin's constructor must take (...args: any[]); BullMQ's arguments pass through untouched.
    constructor(...args: any[]) {
      super(...args);
      open.add(this);
      this.on('error', (err) => {
        if (this.listenerCount('error') > 1) return;
        // Closing a Postgres-backed instance cuts its in-flight LISTEN query ("Connection
        // terminated"), which BullMQ reports as an error: expected, so only at debug.
        if (this.closing) log.debug({ err, queue: this.name }, 'queue client error while closing');
        else log.warn({ err, queue: this.name }, 'queue client error');
      });
    }

    override async close(force?: boolean): Promise<void> {
      try {
        await super.close(force);
      } finally {
        open.delete(this);
      }
    }
  };
}
