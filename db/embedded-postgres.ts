import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { ErrorCode, GpuopsError } from '../src/errors.ts';
import { PGliteWireServer } from './pglite-wire-batching.ts';

/**
 * The embedded PostgreSQL (PGlite) served on a Unix-domain socket, so gpuops reaches it with `pg`
 * like any other Postgres, and BullMQ's Postgres backend can share it.
 *
 * PGlite asks for no password, so whoever can open the socket can read and rewrite everything
 * (confirmations, who owns which instance). A loopback port would let any local process in; the
 * socket lives in a folder of its own, made for this start with mode 0700, and is itself 0600, so
 * only gpuops's own user can connect, and each start (each gpuops on a machine) has its own.
 *
 * PGlite is a single database session: the socket server (pglite-wire-batching.ts) runs one
 * connection's query, all its wire messages together, at a time, and holds everyone else back
 * while a connection is inside a transaction. So every access, ours included,
 * goes through the socket (never to the PGlite object directly, which would run inside whatever
 * transaction is open), transactions stay short, and code inside a transaction must only use that
 * transaction's connection: a query on another connection would wait for the transaction to end,
 * which is waiting for that query.
 */
export interface EmbeddedPostgres {
  /** postgres://postgres@localhost:5432/postgres?host=<socket folder>: `pg` takes the folder from `host`. */
  connectionString: string;
  /** The socket's folder (mode 0700); the socket in it is `.s.PGSQL.5432` (mode 0600). */
  socketDir: string;
  /** Tarball of the data directory, for `snapshot` below. Only while no client is connected. */
  dump(): Promise<Blob>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the data lives (created if missing). Unset: in memory, gone on stop. */
  dataDir?: string | undefined;
  /**
   * Start a new database from a `dump()` instead of running initdb (about 3× faster). Ignored
   * when the data folder already holds a database.
   */
  snapshot?: Blob | undefined;
  /** Socket connections allowed at once. Each BullMQ Queue/Worker/QueueEvents holds a few. */
  maxConnections?: number;
}

/**
 * Postgres settings for the embedded database, given at every start (so they override what initdb
 * wrote into postgresql.conf, without changing the file).
 *
 * PGlite's memory is its WASM heap, which never shrinks, and Postgres touches all of its shared
 * memory at start: with initdb's shared_buffers (128 MB) an idle PGlite held ~150 MB for a
 * database of a few MB. A page missing from a small buffer pool is a read from a file in the OS's
 * cache (or, in memory, a copy), which costs gpuops's small queries next to nothing. Work memory
 * for VACUUM and CREATE INDEX is capped for the same reason: whatever one of them takes stays
 * taken for good.
 */
const MEMORY_SETTINGS = ['shared_buffers=8MB', 'maintenance_work_mem=16MB'];

const START_PARAMS = [...PGlite.defaultStartParams, ...MEMORY_SETTINGS.flatMap((setting) => ['-c', setting])];

/**
 * Keeps WASM on V8's baseline compiler (Liftoff). By default V8 recompiles hot WASM functions with
 * its optimising compiler on background threads, and the memory those compilations take stays with
 * the process: 40–70 MB for PGlite, more than its buffer pool. gpuops's queries are small; measured,
 * PGlite starts and answers them as fast or faster without it (on two cores, the background
 * compiling competed with them). The flag is process-wide: the only other WASM in gpuops is Node's
 * HTTP parser for fetch, which does not notice.
 */
const WASM_FLAGS = '--liftoff-only';

/**
 * The port in the socket's name: `pg`, given a folder as its host, opens `<folder>/.s.PGSQL.<port>`,
 * 5432 unless the connection string names another.
 */
const SOCKET_PORT = 5432;

/** Unix socket paths are limited to 104 bytes on macOS (108 on Linux), the terminating NUL included. */
const MAX_SOCKET_PATH = 103;

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const releaseLock = opts.dataDir === undefined ? async () => {} : await lockDataDir(opts.dataDir);
  let pglite: PGlite | undefined;
  let server: PGliteWireServer | undefined;
  let socketDir: string | undefined;
  try {
    if (opts.dataDir !== undefined) await mkdir(opts.dataDir, { recursive: true });
    const fresh = !(opts.dataDir && existsSync(path.join(opts.dataDir, 'PG_VERSION')));
    const seed = opts.snapshot !== undefined && fresh;
    if (opts.dataDir !== undefined && fresh && !seed) await initDataDir(opts.dataDir);
    v8.setFlagsFromString(WASM_FLAGS);
    pglite = await PGlite.create({
      ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
      ...(seed ? { loadDataDir: opts.snapshot } : {}),
      startParams: START_PARAMS,
    });
    // A new folder in the temporary directory rather than in the data folder: its path stays
    // short enough for a socket, and it is on a local file system, which a data folder on a
    // network share or a container volume may not be. mkdtemp makes it 0700.
    socketDir = await mkdtemp(path.join(tmpdir(), 'gpuops-pg-'));
    await chmod(socketDir, 0o700);
    const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      throw new Error(
        `its socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes; set TMPDIR to a shorter folder`,
      );
    }
    server = new PGliteWireServer({
      db: pglite,
      path: socketPath,
      maxConnections: opts.maxConnections ?? 100,
    });
    await server.start();
    // The folder already keeps others out; the socket's own mode says the same to anyone looking.
    await chmod(socketPath, 0o600);
  } catch (err) {
    await server?.stop().catch(() => {});
    await pglite?.close().catch(() => {});
    if (socketDir !== undefined) await rm(socketDir, { recursive: true, force: true }).catch(() => {});
    await releaseLock();
    const where = opts.dataDir === undefined ? 'in memory' : `in ${opts.dataDir}`;
    throw new GpuopsError(
      ErrorCode.Internal,
      `Could not start the embedded database ${where}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const db = pglite;
  const socket = server;
  const folder = socketDir;
  let stopped: Promise<void> | undefined;
  return {
    // The port names the socket file (and outranks a PGPORT in the environment).
    connectionString: `postgres://postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(folder)}`,
    socketDir: folder,
    dump: () => db.dumpDataDir('none'),
    stop() {
      stopped ??= (async () => {
        // Let clients that are hanging up finish first; stop() then closes the rest and rolls
        // back a transaction one of them left open, before PGlite closes.
        const deadline = Date.now() + 2_000;
        while (socket.connectionCount > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await socket.stop();
        await db.close();
        await rm(folder, { recursive: true, force: true });
        await releaseLock();
      })();
      return stopped;
    },
  };
}

/**
 * Runs initdb into a new data folder, in a child process. In this process, PGlite's initdb (a
 * second PGlite plus initdb's own WASM module) would leave ~450 MB of WASM heaps behind as
 * garbage, which an idle server may not collect for hours, and even a worker thread leaves its
 * allocator's arenas (~130 MB) behind; a process gives everything back when it ends.
 */
async function initDataDir(dataDir: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      WASM_FLAGS,
      '--input-type=module',
      '--eval',
      INITDB_SCRIPT,
      import.meta.resolve('@electric-sql/pglite'),
      dataDir,
      JSON.stringify(START_PARAMS),
    ],
    // The IPC channel tells the child when this process dies, so it stops instead of writing on
    // into a folder nobody holds the lock of.
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`initdb failed (exit code ${code}): ${stderr.trim().slice(-1_000)}`);
}

const INITDB_SCRIPT = `
process.channel.unref();
process.once('disconnect', () => process.exit(1));
const [pglite, dataDir, startParams] = process.argv.slice(1);
const { PGlite } = await import(pglite);
const db = await PGlite.create({ dataDir, startParams: JSON.parse(startParams) });
await db.close();
`;

/**
 * PGlite does not lock its data folder: two processes opening the same one each work on their own
 * copy in memory and overwrite each other's files. A pid file makes the second one stop with a
 * clear message instead.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = `${path.resolve(dataDir)}.lock`;
  await mkdir(path.dirname(lockFile), { recursive: true });
  const mine = String(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockFile, mine, { flag: 'wx' });
      return async () => {
        await rm(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && processIsAlive(holder)) {
      const who =
        holder === process.pid
          ? 'this process already has it open'
          : `process ${holder} has it open; if that is not a gpuops, delete ${lockFile}`;
      throw new GpuopsError(
        ErrorCode.DatabaseUnavailable,
        `The embedded database in ${dataDir} is in use (${who}). Stop that gpuops first, give this one its own ` +
          'GPUOPS_DATA_DIR, or set DATABASE_URL so several processes share one PostgreSQL.',
      );
    }
    // Left behind by a process that died: take it over.
    await rm(lockFile, { force: true });
  }
  throw new GpuopsError(
    ErrorCode.DatabaseUnavailable,
    `Could not lock the embedded database in ${dataDir} (${lockFile}).`,
  );
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
