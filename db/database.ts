import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ErrorCode, GpuopsError } from '../src/errors.ts';
import { type Logger, silentLogger } from '../src/log.ts';
import type { EmbeddedPostgres } from './embedded-postgres.ts';
import { migrateToLatest } from './migrate.ts';
import type { Database } from './schema.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /**
   * A postgres:// URL other pg clients in this process (the BullMQ Postgres backend) can use to
   * reach the same database. Embedded: a Unix socket only this user can open (`?host=<folder>`).
   */
  connectionString: string;
  /** Ends the pool, then (embedded) stops the socket server and PGlite. Close queue clients first. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A real PostgreSQL. Unset: the embedded one. */
  databaseUrl?: string | undefined;
  /** Embedded only: the data lives in `<dataDir>/pglite`. Unset: in memory. */
  dataDir?: string | undefined;
  /** Embedded: start a new database from `createDatabaseSnapshot()` instead of running initdb. */
  snapshot?: Blob | undefined;
  logger?: Logger | undefined;
  /** Connections in gpuops's own pool. Default 10 on PostgreSQL, 4 embedded (it runs one query at a time anyway). */
  poolSize?: number | undefined;
}

/**
 * Opens gpuops's database and brings its schema up to date, so callers always see the tables
 * `db/schema.ts` describes. Several processes may open the same PostgreSQL at once.
 */
export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const logger = opts.logger ?? silentLogger;
  if (opts.databaseUrl !== undefined) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // A runaway query or a forgotten transaction must not hold locks (and the bot) forever.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      application_name: 'gpuops',
    });
    const where = describePostgresUrl(opts.databaseUrl);
    const handle = await openOnPool(pool, 'postgres', opts.databaseUrl, logger, async () => {}, where);
    logger.info({ database: where }, 'database ready');
    return handle;
  }

  // Loaded on demand: a gpuops on PostgreSQL never needs PGlite and its socket server in memory.
  const { startEmbeddedPostgres } = await import('./embedded-postgres.ts');
  const embedded = await startEmbeddedPostgres({
    dataDir: opts.dataDir === undefined ? undefined : path.join(opts.dataDir, 'pglite'),
    snapshot: opts.snapshot,
  });
  // No statement or session settings here: every socket connection shares PGlite's one session,
  // so a setting made for gpuops's pool would apply to BullMQ's connections too.
  const pool = new pg.Pool({ connectionString: embedded.connectionString, max: opts.poolSize ?? 4 });
  const where =
    opts.dataDir === undefined ? 'embedded PostgreSQL in memory' : `embedded PostgreSQL in ${opts.dataDir}`;
  const handle = await openOnPool(
    pool,
    'pglite',
    embedded.connectionString,
    logger,
    () => embedded.stop(),
    where,
  );
  logger.info({ database: where, socket: embedded.connectionString }, 'database ready');
  return handle;
}

/**
 * A freshly migrated, empty embedded database as a tarball. `openDatabase({ snapshot })` starts
 * from it in well under a second instead of the seconds initdb takes, which is what tests want.
 */
export async function createDatabaseSnapshot(): Promise<Blob> {
  const { startEmbeddedPostgres } = await import('./embedded-postgres.ts');
  let embedded: EmbeddedPostgres | undefined;
  try {
    embedded = await startEmbeddedPostgres();
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: embedded.connectionString, max: 1 }),
      }),
    });
    try {
      await migrateToLatest(db, silentLogger);
    } finally {
      await db.destroy();
    }
    // Nothing is connected any more, so reading PGlite directly cannot cut into a transaction.
    return await embedded.dump();
  } finally {
    await embedded?.stop();
  }
}

async function openOnPool(
  pool: pg.Pool,
  kind: DatabaseHandle['kind'],
  connectionString: string,
  logger: Logger,
  afterPool: () => Promise<void>,
  where: string,
): Promise<DatabaseHandle> {
  // An idle client's connection dying (a restarted server) is reported here; without a listener
  // it would crash the process. The pool replaces the client on next use.
  pool.on('error', (err) => logger.warn({ err, database: where }, 'database connection lost'));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log(event) {
      if (event.level === 'error') {
        // The SQL without its parameters: those may carry user input or provider data.
        logger.debug({ err: event.error, sql: event.query.sql }, 'query failed');
      }
    },
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      try {
        await db.destroy();
      } finally {
        await afterPool();
      }
    })();
    return closed;
  };
  try {
    await pool.query('select 1');
  } catch (err) {
    await close().catch(() => {});
    throw new GpuopsError(
      ErrorCode.DatabaseUnavailable,
      `Cannot reach the database (${where}): ${err instanceof Error ? err.message : String(err)}. ` +
        (kind === 'postgres'
          ? 'Check DATABASE_URL, or unset it to use the embedded database.'
          : 'The embedded database did not answer on its socket.'),
      { cause: err, retryable: true },
    );
  }
  try {
    await migrateToLatest(db, logger);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { db, kind, connectionString, close };
}

/** host:port/database, without credentials, for logs and messages. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    // pg takes a folder in `host=` as a Unix socket's (the embedded database's, a local server's).
    const socketDir = u.searchParams.get('host');
    if (socketDir?.startsWith('/')) return `PostgreSQL on the socket in ${socketDir}${u.pathname}`;
    return `PostgreSQL at ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL (unparsable URL)';
  }
}
