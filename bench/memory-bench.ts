/**
 * Idle memory of `gpuops serve`: the resident set (VmRSS) and its peak (VmHWM) of the whole
 * process tree, read from /proc after the server has said "gpuops server running" and sat idle.
 *
 * Setups:
 * - offline, first start: nothing configured, a fresh GPUOPS_DATA_DIR (embedded PGlite runs
 *   initdb, the queue on BullMQ's PostgreSQL backend in it, the simulated marketplace in-process);
 * - offline, restart: the same data folder started again, as a service restarts;
 * - Postgres + Redis: DATABASE_URL on a fresh local database, REDIS_URL, a private queue prefix
 *   (the simulated marketplace still in-process).
 *
 * Each runs through every entry there is: the dev entry (the TypeScript through tsx:
 * bin/gpuops-dev.js, or bin/gpuops.js before the build existed) and the compiled one (bin/gpuops.js
 * on dist/, when built; `--compiled <dist>/src/cli/main.js` adds a build made elsewhere). tsx
 * costs memory of its own (its transform caches and an esbuild process), so they are apart.
 *
 * `--breakdown` also starts each part alone, in a process of its own, and reports what it adds to
 * an empty one: PGlite with its socket (first start and restart), the whole database layer (pool
 * and migrations), the simulator with the default market (2,400 offers), and loading the runtime's
 * modules without starting anything. From the sources (through tsx) and from each fresh build.
 *
 *   npx tsx bench/memory-bench.ts [--settle 10] [--samples 5] [--breakdown] [--breakdown-only]
 *     [--setup offline|services] [--compiled path/to/dist/src/cli/main.js]
 *
 * Prints tables and one JSON line. Exits non-zero only when something fails to run, not when a
 * goal is missed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { option } from './stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Idle memory the issue "Run gpuops as a team service" asks for, in MB. */
const GOAL_MB = { offline: 250, services: 200 } as const;

const settleMs = option('settle', 10) * 1_000;
const samples = Math.max(1, option('samples', 5));
const readyTimeoutMs = option('ready-timeout', 180) * 1_000;

interface MemorySample {
  /** VmRSS of the process tree, MB. */
  rssMb: number;
  /** VmHWM (peak RSS) summed over the process tree, MB. */
  peakMb: number;
}

/** VmRSS and VmHWM of `pid` and every process below it, in MB. */
function treeMemory(pid: number): MemorySample {
  let rssKb = 0;
  let peakKb = 0;
  for (const p of processTree(pid)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${p}/status`, 'utf8');
    } catch {
      continue; // ended between listing and reading
    }
    rssKb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    peakKb += Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return { rssMb: rssKb / 1024, peakMb: peakKb / 1024 };
}

function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${all[i]}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${all[i]}/task/${task}/children`, 'utf8').trim();
        if (children) all.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended
      }
    }
  }
  return all;
}

/** Samples `pid`'s memory once a second: the median RSS, the highest peak, the RSS range. */
async function sampleMemory(pid: number): Promise<MemorySample & { rssRangeMb: [number, number] }> {
  const taken: MemorySample[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(1_000);
    taken.push(treeMemory(pid));
  }
  const rss = taken.map((s) => s.rssMb).sort((a, b) => a - b);
  return {
    rssMb: rss[Math.floor(rss.length / 2)]!,
    peakMb: Math.max(...taken.map((s) => s.peakMb)),
    rssRangeMb: [rss[0]!, rss[rss.length - 1]!],
  };
}

/** The environment of a gpuops started with nothing configured but what `extra` sets. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(GPUOPS_|VAST_|OPENAI_|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

// ---------------------------------------------------------------------------------------------
// What to run: the sources through tsx, and compiled builds.

interface Entry {
  name: string;
  /** The script `node` runs, before the command (`serve`). */
  script: string;
  /** A build's folder (holding src/ and db/ as .js), for the breakdown. Unset: the sources. */
  dist?: string;
}

function entries(): Entry[] {
  const found: Entry[] = [];
  const devBin = path.join(root, 'bin/gpuops-dev.js');
  if (!existsSync(devBin)) {
    // Before the build existed, bin/gpuops.js itself ran the sources through tsx.
    return [{ name: 'dev (bin/gpuops.js, tsx)', script: path.join(root, 'bin/gpuops.js') }, ...extraBuild()];
  }
  found.push({ name: 'dev (bin/gpuops-dev.js, tsx)', script: devBin });
  const dist = path.join(root, 'dist');
  const built = path.join(dist, 'src/cli/main.js');
  if (existsSync(built)) {
    const stale = newestSource() > statSync(built).mtimeMs;
    if (stale)
      console.log('note: dist/ is older than the sources; `npm run build` to measure the current code');
    found.push({
      name: `compiled (bin/gpuops.js, dist/${stale ? ', stale' : ''})`,
      script: path.join(root, 'bin/gpuops.js'),
      ...(!stale && { dist }),
    });
  }
  return [...found, ...extraBuild()];
}

/** `--compiled <dist>/src/cli/main.js`: a build made elsewhere. */
function extraBuild(): Entry[] {
  const main = argValue('compiled');
  if (main === undefined) return [];
  const script = path.resolve(main);
  return [{ name: `compiled (${main})`, script, dist: path.resolve(script, '../../..') }];
}

/** When a .ts file under src/ or db/ last changed. */
function newestSource(): number {
  let newest = 0;
  for (const dir of ['src', 'db']) {
    for (const file of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (file.endsWith('.ts')) newest = Math.max(newest, statSync(path.join(root, dir, file)).mtimeMs);
    }
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------
// `gpuops serve`, idle.

interface ServeResult {
  entry: string;
  setup: string;
  goalMb: number;
  readyMs: number;
  rssMb: number;
  peakMb: number;
  rssRangeMb: [number, number];
}

/**
 * Starts `node <entry> serve`, waits for "gpuops server running", lets it sit `settleMs`, then
 * samples its memory; stops it with SIGTERM.
 */
async function measureServe(
  entry: Entry,
  setup: string,
  goalMb: number,
  env: NodeJS.ProcessEnv,
): Promise<ServeResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [entry.script, 'serve'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not ready after ${readyTimeoutMs / 1000} s`)),
        readyTimeoutMs,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('gpuops server running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${signal ?? code}) before it was ready`));
      });
    });
    const readyMs = Date.now() - started;
    await sleep(settleMs);
    return { entry: entry.name, setup, goalMb, readyMs, ...(await sampleMemory(child.pid!)) };
  } catch (err) {
    throw new Error(
      `${entry.name}, ${setup}: ${err instanceof Error ? err.message : String(err)}\n${output.slice(-2_000)}`,
    );
  } finally {
    await stop(child);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function serveResults(list: Entry[]): Promise<ServeResult[]> {
  const { freshPostgresDatabase } = await import('../tests/support/postgres.ts');
  const { dropRedisPrefix, TEST_REDIS_URL, uniquePrefix } = await import('../tests/support/queue.ts');
  const only = argValue('setup');
  const results: ServeResult[] = [];
  for (const entry of list) {
    if (only !== 'services') {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-memory-'));
      try {
        const offline = cleanEnv({ GPUOPS_DATA_DIR: dataDir });
        results.push(await measureServe(entry, 'offline, first start', GOAL_MB.offline, offline));
        results.push(await measureServe(entry, 'offline, restart', GOAL_MB.offline, offline));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    if (only !== 'offline') {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-memory-'));
      const database = await freshPostgresDatabase();
      const prefix = uniquePrefix('memory-bench');
      try {
        const services = cleanEnv({
          GPUOPS_DATA_DIR: dataDir,
          DATABASE_URL: database.url,
          REDIS_URL: TEST_REDIS_URL,
          GPUOPS_QUEUE_PREFIX: prefix,
        });
        results.push(await measureServe(entry, 'Postgres + Redis', GOAL_MB.services, services));
      } finally {
        await dropRedisPrefix(prefix);
        await database.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// --breakdown: each part alone, in a process of its own.

/** In a probe process: where gpuops's modules come from (`--dist`), else the sources. */
function load<M>(source: string): Promise<M> {
  const dist = argValue('dist');
  const file = dist === undefined ? path.join(root, source) : path.join(dist, source.replace(/\.ts$/, '.js'));
  return import(pathToFileURL(file).href) as Promise<M>;
}

type EmbeddedPostgresModule = typeof import('../db/embedded-postgres.ts');

const PROBES = {
  /** Nothing of gpuops loaded: what every other probe is compared with. */
  empty: async () => undefined,
  /** PGlite with its socket server, on a fresh data folder (initdb). */
  'pglite first start': async (dir: string) => {
    const { startEmbeddedPostgres } = await load<EmbeddedPostgresModule>('db/embedded-postgres.ts');
    return (await startEmbeddedPostgres({ dataDir: path.join(dir, 'pglite') })).stop;
  },
  /** PGlite with its socket server, on the folder the previous probe left. */
  'pglite restart': async (dir: string) => {
    const { startEmbeddedPostgres } = await load<EmbeddedPostgresModule>('db/embedded-postgres.ts');
    return (await startEmbeddedPostgres({ dataDir: path.join(dir, 'pglite') })).stop;
  },
  /** openDatabase on that folder: PGlite, socket, pg pool, Kysely, migrations checked. */
  'database restart': async (dir: string) => {
    const { openDatabase } = await load<typeof import('../db/database.ts')>('db/database.ts');
    return (await openDatabase({ dataDir: dir })).close;
  },
  /** The simulated marketplace with the default market (2,400 offers). */
  simulator: async (dir: string) => {
    const { startSimulator } =
      await load<typeof import('../src/cloud/sim/index.ts')>('src/cloud/sim/index.ts');
    return (await startSimulator({ offers: 2_400, timeScale: 0.1, dataDir: path.join(dir, 'sim') })).close;
  },
  /** Every module `serve` loads up front (BullMQ, ioredis, pg, Kysely, ...), nothing started. */
  'runtime modules': async () => {
    await load('src/runtime.ts');
    await load('src/config.ts');
    return undefined;
  },
} satisfies Record<string, (dir: string) => Promise<(() => Promise<void>) | undefined>>;

type ProbeName = keyof typeof PROBES;

interface ProbeResult {
  from: string;
  probe: ProbeName;
  rssMb: number;
  peakMb: number;
  /** RSS above the empty process's. */
  addsMb: number;
  heapUsedMb: number;
  externalMb: number;
}

/** In the probe process: runs one probe, settles, prints its memory as JSON, stops. */
async function runProbe(name: ProbeName, dir: string): Promise<void> {
  const close = await PROBES[name](dir);
  await sleep(settleMs);
  const { rssMb, peakMb } = await sampleMemory(process.pid);
  const usage = process.memoryUsage();
  const heapUsedMb = usage.heapUsed / 2 ** 20;
  const externalMb = usage.external / 2 ** 20;
  process.stdout.write(`${JSON.stringify({ rssMb, peakMb, heapUsedMb, externalMb })}\n`);
  if (close) await close();
  process.exit(0);
}

/** Every probe in turn, each in a new process (run through tsx: this file is TypeScript). */
async function breakdown(from: string, dist: string | undefined): Promise<ProbeResult[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gpuops-memory-'));
  const results: ProbeResult[] = [];
  try {
    for (const name of Object.keys(PROBES) as ProbeName[]) {
      const args = [fileURLToPath(import.meta.url), '--probe', name, '--dir', dir];
      if (dist !== undefined) args.push('--dist', dist);
      args.push('--settle', String(settleMs / 1000), '--samples', String(samples));
      const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
        cwd: root,
        env: cleanEnv({}),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) throw new Error(`probe "${name}" failed (${code}): ${out}`);
      const measured = JSON.parse(line) as Pick<
        ProbeResult,
        'rssMb' | 'peakMb' | 'heapUsedMb' | 'externalMb'
      >;
      const base = results[0]?.rssMb ?? measured.rssMb;
      results.push({ from, probe: name, ...measured, addsMb: measured.rssMb - base });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const mb = (v: number) => `${Math.round(v)} MB`;
const round = (v: number) => Math.round(v * 10) / 10;

async function main(): Promise<void> {
  const probe = argValue('probe');
  if (probe !== undefined) {
    if (!(probe in PROBES)) throw new Error(`unknown probe ${probe}`);
    await runProbe(probe as ProbeName, argValue('dir') ?? tmpdir());
    return;
  }

  console.log(
    `gpuops serve idle memory (settle ${settleMs / 1000} s, ${samples} samples; node ${process.version})`,
  );
  const list = entries();
  const serve = process.argv.includes('--breakdown-only') ? [] : await serveResults(list);
  if (serve.length > 0) {
    const width = Math.max(...serve.map((r) => r.entry.length));
    console.log(
      `${'entry'.padEnd(width)}  ${'setup'.padEnd(20)} ${'idle RSS'.padStart(9)} ${'peak'.padStart(8)} ${'goal'.padStart(7)} ${'ready in'.padStart(9)}`,
    );
    for (const r of serve) {
      console.log(
        `${r.entry.padEnd(width)}  ${r.setup.padEnd(20)} ${mb(r.rssMb).padStart(9)} ${mb(r.peakMb).padStart(8)} ${`<${r.goalMb}`.padStart(7)} ${`${(r.readyMs / 1000).toFixed(1)} s`.padStart(9)}  ${r.rssMb < r.goalMb ? 'ok' : 'over'}`,
      );
    }
  }

  const parts: ProbeResult[] = [];
  if (process.argv.includes('--breakdown') || process.argv.includes('--breakdown-only')) {
    const sources = [{ from: 'sources (tsx)', dist: undefined as string | undefined }];
    for (const entry of list)
      if (entry.dist !== undefined) sources.push({ from: entry.name, dist: entry.dist });
    for (const { from, dist } of sources) {
      const measured = await breakdown(from, dist);
      parts.push(...measured);
      console.log(`\neach part alone, from ${from} (adds: RSS above the empty process)`);
      console.log(
        `${'part'.padEnd(20)} ${'idle RSS'.padStart(9)} ${'adds'.padStart(8)} ${'peak'.padStart(8)} ${'JS heap'.padStart(8)} ${'external'.padStart(9)}`,
      );
      for (const p of measured) {
        console.log(
          `${p.probe.padEnd(20)} ${mb(p.rssMb).padStart(9)} ${mb(p.addsMb).padStart(8)} ${mb(p.peakMb).padStart(8)} ${mb(p.heapUsedMb).padStart(8)} ${mb(p.externalMb).padStart(9)}`,
        );
      }
    }
  }

  console.log(
    JSON.stringify({
      bench: 'memory',
      node: process.version,
      settleSeconds: settleMs / 1000,
      goalsMb: GOAL_MB,
      serve: serve.map((r) => ({
        entry: r.entry,
        setup: r.setup,
        rssMb: round(r.rssMb),
        peakMb: round(r.peakMb),
        rssRangeMb: r.rssRangeMb.map(round),
        goalMb: r.goalMb,
        met: r.rssMb < r.goalMb,
        readyMs: r.readyMs,
      })),
      breakdown: parts.map((p) => ({
        from: p.from,
        part: p.probe,
        rssMb: round(p.rssMb),
        addsMb: round(p.addsMb),
        peakMb: round(p.peakMb),
        heapUsedMb: round(p.heapUsedMb),
        externalMb: round(p.externalMb),
      })),
    }),
  );
}

try {
  await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
