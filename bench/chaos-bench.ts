/**
 * A bounded chaos run: many operations of every kind, typed into the agent as a user would, while
 * two worker processes are killed (SIGKILL) at random and restarted, 30% of provider API calls
 * fail (some of the rentals and releases after doing their work), and running hosts die. Then the
 * chaos stops, every operation must end, the reconciler makes a pass, and the records must equal
 * the provider's state: nothing moving without an operation, no machine billing unseen, no
 * orphaned rental, no deploy that rented twice.
 *
 * Real Postgres and Redis, the simulated marketplace in this process, a bot-role gpuops in this
 * process and `gpuops worker` children. Exits 0 only when every goal is met; a hard deadline
 * kills everything and exits 2 with what it saw.
 *
 *   npx tsx bench/chaos-bench.ts [--ops 40] [--seed 1] [--deadline-s 240] [--time-scale 0.03]
 *                                [--verbose] [--plant]
 *
 * --verbose lists every failed operation's message and why workers exited by themselves; --plant
 * plants one problem of each kind after the run and exits 0 only if the checks see them all.
 *
 * GPUOPS_CHAOS_OPS and GPUOPS_CHAOS_SEED set the same as --ops and --seed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { listInstances } from '../db/repositories/instances.ts';
import { IN_FLIGHT } from '../db/repositories/operations.ts';
import type { InstanceRow } from '../db/schema.ts';
import type { ChatSurface, MessageRef, OutgoingMessage } from '../src/agent/chat-surface.ts';
import { failHost, getSimState, type SimStateView, setFaultRate } from '../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../src/cloud/sim/index.ts';
import { createRng } from '../src/cloud/sim/prng.ts';
import { toInstanceStatus } from '../src/cloud/vast/vast-provider.ts';
import {
  agreesWithProvider,
  billsGpus,
  LIVE_STATES,
  MOVING_STATES,
  type ProviderView,
} from '../src/domain/instance-states.ts';
import type { RequestContext } from '../src/domain/request-context.ts';
import { operationOfLabel } from '../src/jobs/operations/rental-label.ts';
import { jobStatesOn, type ReconcileReport, reconcile } from '../src/jobs/upkeep/reconciler.ts';
import { GPUOPS_DEV_BIN } from '../tests/support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../tests/support/gpuops-harness.ts';

const { values: argv } = parseArgs({
  options: {
    ops: { type: 'string' },
    seed: { type: 'string' },
    'deadline-s': { type: 'string' },
    'time-scale': { type: 'string' },
    /** Also lists every failed operation with its message. */
    verbose: { type: 'boolean' },
    /** Plants one problem of each kind after the run; exits 0 only when the checks see them all. */
    plant: { type: 'boolean' },
  },
});

function numberOption(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number of 0 or more, not "${raw}".`);
  return value;
}

const OPS = Math.round(numberOption(argv.ops ?? process.env.GPUOPS_CHAOS_OPS, 40, '--ops'));
const SEED = Math.round(numberOption(argv.seed ?? process.env.GPUOPS_CHAOS_SEED, 1, '--seed'));
const DEADLINE_MS = numberOption(argv['deadline-s'], 240, '--deadline-s') * 1000;
const TIME_SCALE = numberOption(argv['time-scale'], 0.03, '--time-scale');

/**
 * `gpuops worker` from the TypeScript sources, as the bot in this process runs them: the compiled
 * bin/gpuops.js may be missing or older than the code under test.
 */
const WORKER_BIN = GPUOPS_DEV_BIN;
const VERBOSE = argv.verbose === true;
const PLANT = argv.plant === true;
const WORKERS = 2;
const FAULT_RATE = 0.3;
/** Of the faults on create, start, stop and destroy, the share that do the work and lose the answer. */
const APPLIED_SHARE = 0.3;
const ORPHAN_GRACE_MS = 2_000;
const RECONCILE_INTERVAL_MS = 3_000;
/** How long the operations may take to end once the chaos stops. */
const SETTLE_TIMEOUT_MS = 90_000;
/** Reconciler passes (a few seconds apart) the records get to come right before the check counts. */
const FINAL_PASSES = 3;

/** Provider statuses in which the GPUs bill (as db/instance-states.ts counts them). */
const GPU_BILLING: readonly ProviderView[] = ['provisioning', 'loading', 'running'];

const rng = createRng(SEED);
const startedAt = performance.now();
const elapsed = () => Math.round(performance.now() - startedAt);

/** Everything the run has seen, printed at the end (or at the deadline). */
const figures = {
  ops: OPS,
  seed: SEED,
  phase: 'setup' as string,
  requests: 0,
  /** Chat requests by kind and answer: "deploy queued", "pause refused: operation_in_flight". */
  requestAnswers: {} as Record<string, number>,
  refusals: 0,
  /** Operations (jobs) by kind and how they ended: "deploy succeeded", "pause failed: host_failed". */
  operations: {} as Record<string, number>,
  operationsRun: 0,
  workerKills: 0,
  workerStarts: 0,
  /** Workers that exited without being killed (e.g. start-up refused by a provider fault). */
  workerExits: 0,
  /** The last line each of those printed. */
  workerExitReasons: [] as string[],
  hostFailures: 0,
  /**
   * Operations ended as abandoned although their workers did not stall past the limit: a failed
   * attempt that the queue was going to retry. Not a goal of this run, but worth a look.
   */
  abandonedNotStalled: 0,
  faults: { total: 0, applied: 0, byStatus: {} as Record<string, number> },
  notFinal: -1,
  mismatches: -1,
  orphans: -1,
  billingUnseen: -1,
  doubleRentals: -1,
  /** Every failed operation and why, in its own words (shortened). */
  failedOperations: [] as Array<{
    op: string;
    kind: string;
    code: string;
    attempts: number;
    message: string;
  }>,
  /** With --plant: what was planted. */
  planted: [] as string[],
  reconcilePasses: [] as Array<
    Pick<ReconcileReport, 'repaired' | 'removed' | 'abandoned' | 'orphansDestroyed'>
  >,
  problems: [] as string[],
  durationMs: 0,
};

const bump = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/** A chat surface that says yes to every confirmation and remembers what it was told. */
class AutoConfirmSurface implements ChatSurface {
  readonly name = 'chaos';
  readonly posts: OutgoingMessage[] = [];
  private counter = 0;
  async post(message: OutgoingMessage): Promise<MessageRef> {
    this.posts.push(message);
    return { id: `m${++this.counter}` };
  }
  async update(): Promise<void> {}
  async confirm(): Promise<boolean> {
    return true;
  }
}

// ---- the pieces the run owns, for cleanup whatever happens

let sim: Simulator | undefined;
let g: TestGpuops | undefined;
let ownDataDir: string | undefined;
const workers: Array<ChildProcess | undefined> = new Array(WORKERS).fill(undefined);
const deliberatelyKilled = new WeakSet<ChildProcess>();
let keepWorkersAlive = true;
/** The last lines the workers printed, to show when something goes wrong. */
const workerOutput: string[] = [];

function startWorker(slot: number): void {
  if (!g) return;
  const child = spawn(process.execPath, [WORKER_BIN, 'worker'], {
    // PORT 0: each worker's HTTP endpoints (health, metrics) on a free port of its own.
    env: { ...process.env, ...g.env, GPUOPS_LOG_FILE: '-', LOG_LEVEL: 'warn', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  figures.workerStarts++;
  workers[slot] = child;
  let lastLine = '';
  const keep = (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (!line.trim()) continue;
      workerOutput.push(`[w${slot}] ${line}`);
      lastLine = line;
    }
    if (workerOutput.length > 400) workerOutput.splice(0, workerOutput.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    if (workers[slot] === child) workers[slot] = undefined;
    if (deliberatelyKilled.has(child)) return;
    figures.workerExits++;
    figures.workerExitReasons.push(`exit ${code ?? signal}: ${lastLine.slice(0, 300)}`);
    // A worker that died by itself comes back, as a process supervisor would bring it back.
    if (keepWorkersAlive) setTimeout(() => workers[slot] ?? startWorker(slot), 500);
  });
}

function killWorker(slot: number): boolean {
  const child = workers[slot];
  if (!child) return false;
  deliberatelyKilled.add(child);
  child.kill('SIGKILL');
  workers[slot] = undefined;
  figures.workerKills++;
  return true;
}

async function stopWorkers(): Promise<void> {
  keepWorkersAlive = false;
  const exits = workers.map((child) => {
    if (!child || child.exitCode !== null) return Promise.resolve();
    deliberatelyKilled.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    return exited;
  });
  await Promise.race([Promise.all(exits), sleep(5_000)]);
}

async function cleanup(): Promise<void> {
  await stopWorkers();
  const steps: Array<() => Promise<unknown>> = [
    async () => g?.close(),
    async () => sim?.close(),
    async () => ownDataDir && rm(ownDataDir, { recursive: true, force: true }),
  ];
  for (const step of steps) {
    await Promise.race([
      step().catch((err: unknown) => console.error('cleanup step failed:', err)),
      sleep(15_000),
    ]);
  }
}

function printFigures(ok: boolean): void {
  figures.durationMs = elapsed();
  const list = (map: Record<string, number>) =>
    Object.entries(map)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const goal = (n: number) => (n < 0 ? 'not checked' : n === 0 ? '0 ✓' : `${n} ✗`);
  const lines = [
    `chaos: ${PLANT ? (ok ? 'the checks saw every planted problem' : 'THE CHECKS MISSED A PLANTED PROBLEM') : ok ? 'all goals met' : 'GOALS NOT MET'} (seed ${SEED}, ${(figures.durationMs / 1000).toFixed(1)} s, ended in phase ${figures.phase})`,
    `  requests typed:       ${figures.requests} (${list(figures.requestAnswers)})`,
    `  refusals:             ${figures.refusals}`,
    `  operations run:       ${figures.operationsRun} (${list(figures.operations)})`,
    `  worker kills:         ${figures.workerKills} (starts ${figures.workerStarts}, exits on their own ${figures.workerExits})`,
    `  provider faults:      ${figures.faults.total} (applied ${figures.faults.applied}; ${list(figures.faults.byStatus)})`,
    `  host failures:        ${figures.hostFailures}`,
    `  abandoned, not stalled: ${figures.abandonedNotStalled} (operations ended as abandoned after an attempt the queue would retry)`,
    `  reconciler passes:    ${figures.reconcilePasses.map((p) => `repaired ${p.repaired.length}, removed ${p.removed.length}, abandoned ${p.abandoned.length}, orphans destroyed ${p.orphansDestroyed.length}`).join(' | ') || 'none'}`,
    `  not final at the end: ${goal(figures.notFinal)}`,
    `  mismatches:           ${goal(figures.mismatches)}`,
    `  orphans:              ${goal(figures.orphans)}`,
    `  billing unseen:       ${goal(figures.billingUnseen)}`,
    `  double rentals:       ${goal(figures.doubleRentals)}`,
  ];
  if (VERBOSE) {
    for (const reason of figures.workerExitReasons) lines.push(`  - a worker exited by itself: ${reason}`);
    for (const f of figures.failedOperations)
      lines.push(`  - ${f.op} ${f.kind} failed (${f.code}, ${f.attempts} attempts): ${f.message}`);
  }
  for (const planted of figures.planted) lines.push(`  planted ${planted}`);
  for (const problem of figures.problems) lines.push(`  ! ${problem}`);
  console.log(lines.join('\n'));
  console.log(JSON.stringify({ bench: 'chaos', ok, ...figures }));
}

// ---- the hard deadline

/** Says what the run saw, cleans up and leaves with `code`, whatever the run was doing. */
function abort(why: string, code: number): void {
  // If collecting or cleaning up hangs, leave anyway.
  setTimeout(() => process.exit(code), 30_000).unref();
  figures.problems.push(`${why} during ${figures.phase}`);
  void (async () => {
    await Promise.race([collectFigures().catch(() => undefined), sleep(5_000)]);
    printFigures(false);
    console.error(`last worker output:\n${workerOutput.slice(-40).join('\n')}`);
    await cleanup();
    process.exit(code);
  })();
}

const deadline = setTimeout(() => abort(`deadline of ${DEADLINE_MS / 1000} s reached`, 2), DEADLINE_MS);
process.once('SIGINT', () => abort('interrupted', 130));

// ---- the run

const context: RequestContext = {
  user: 'chaos',
  channel: 'chaos',
  replyTo: { surface: 'chaos', channel: 'chaos' },
};

/** Types one chat line and counts how it was answered: a job started, or a refusal (with its code). */
async function say(kind: string, text: string): Promise<void> {
  if (!g?.runtime.chat) throw new Error('no agent');
  const surface = new AutoConfirmSurface();
  figures.requests++;
  const handled = await g.runtime.chat.handle(text, context, surface);
  // Followed to the end by the agent; how each ended is read from the records afterwards.
  for (const job of handled.jobs) job.catch(() => undefined);
  const error = surface.posts.find((p) => p.kind === 'error');
  if (handled.jobs.length > 0) bump(figures.requestAnswers, `${kind} queued`);
  else if (error) {
    figures.refusals++;
    bump(figures.requestAnswers, `${kind} refused: ${error.code ?? 'unknown'}`);
  } else bump(figures.requestAnswers, `${kind} answered without a job`);
}

const DEPLOYS = ['deploy a 3090', 'deploy a 4090 under $1/hr'];

/** One request of a random kind, on an instance that (mostly) fits it. */
async function oneRequest(): Promise<void> {
  const db = g!.runtime.database.db;
  const live = await listInstances(db, { channel: context.channel, states: LIVE_STATES });
  const busy = new Set(
    (
      await db
        .selectFrom('operations')
        .select('instance_id')
        .where('state', 'in', IN_FLIGHT)
        .where('instance_id', 'is not', null)
        .execute()
    ).map((o) => o.instance_id),
  );
  const idle = live.filter((r) => !busy.has(r.id));
  const kind =
    live.length < 3
      ? 'deploy'
      : rng.weighted([
          // Fewer new machines once there are plenty to work on.
          ['deploy', live.length > 8 ? 0.1 : 0.3],
          ['pause', 0.25],
          ['resume', 0.2],
          ['destroy', 0.25],
        ] as const);
  if (kind === 'deploy') return say(kind, rng.pick(DEPLOYS));
  const fitting = idle.filter((r) =>
    kind === 'pause' ? r.state === 'running' : kind === 'resume' ? r.state === 'stopped' : true,
  );
  // Mostly an idle one in the right state; sometimes any, to be refused as a person would be.
  const pool = fitting.length > 0 && rng.chance(0.85) ? fitting : live;
  return say(kind, `${kind} i-${rng.pick(pool).id}`);
}

async function loadPhase(): Promise<void> {
  let chaosOn = true;
  const chaos = (async () => {
    while (chaosOn) {
      await sleep(rng.range(2_500, 6_000));
      if (!chaosOn) break;
      const slot = rng.int(0, WORKERS - 1);
      if (killWorker(slot)) {
        await sleep(rng.range(300, 1_500));
        if (keepWorkersAlive && !workers[slot]) startWorker(slot);
      }
    }
  })();
  const hosts = (async () => {
    while (chaosOn) {
      await sleep(rng.range(6_000, 12_000));
      if (!chaosOn) break;
      const state = await getSimState(sim!);
      const running = state.instances.filter(
        (i) => !i.destroyed && i.actual_status === 'running' && operationOfLabel(i.label),
      );
      if (running.length === 0) continue;
      await failHost(sim!, { instance_id: rng.pick(running).id });
      figures.hostFailures++;
    }
  })();
  try {
    for (let i = 0; i < OPS; i++) {
      await oneRequest();
      await sleep(rng.range(200, 900));
    }
  } finally {
    chaosOn = false;
    await Promise.all([chaos, hosts]);
  }
}

/** Waits (bounded) until no operation is queued or running; what is left is counted by check(). */
async function waitUntilFinal(): Promise<void> {
  const db = g!.runtime.database.db;
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < until) {
    const open = await db.selectFrom('operations').select('id').where('state', 'in', IN_FLIGHT).execute();
    if (open.length === 0) return;
    await sleep(500);
  }
}

/** Operations by kind and outcome, failures with their messages, and the faults the simulator injected. */
async function collectFigures(): Promise<void> {
  if (!g || !sim) return;
  const ops = await g.runtime.database.db.selectFrom('operations').selectAll().execute();
  figures.operationsRun = ops.length;
  figures.operations = {};
  figures.failedOperations = [];
  for (const op of ops) {
    const ending = op.state === 'failed' ? `failed: ${op.error?.code ?? '?'}` : op.state;
    bump(figures.operations, `${op.kind} ${ending}`);
    if (op.state === 'failed') {
      figures.failedOperations.push({
        op: op.id,
        kind: op.kind,
        code: op.error?.code ?? '?',
        attempts: op.attempts,
        message: (op.error?.message ?? '').slice(0, 240),
      });
    }
  }
  figures.abandonedNotStalled = figures.failedOperations.filter(
    (o) => o.code === 'abandoned' && !/stopped too many times/.test(o.message),
  ).length;
  const { faults } = (await getSimState(sim)).injected;
  figures.faults = { total: faults.total, applied: faults.applied, byStatus: faults.byStatus };
}

/**
 * `--plant`: after the run, one problem of each kind the checks look for, so a run can show that
 * they see them: an operation left queued, a record moving with no operation, a labelled rental
 * no record knows, and a second rental under a deploy's label.
 */
async function plantProblems(): Promise<string[]> {
  const db = g!.runtime.database.db;
  const provider = g!.runtime.provider;
  const planted: string[] = [];
  await db
    .insertInto('operations')
    .values({
      id: 'op-plantedqueued',
      kind: 'pause',
      args: '{}',
      requester: context.user,
      channel: context.channel,
      reply_to: JSON.stringify(context.replyTo),
      state: 'queued',
      instance_id: null,
      step: null,
    })
    .execute();
  planted.push('not final: op-plantedqueued');
  const [settled] = await listInstances(db, { channel: context.channel, states: ['running', 'stopped'] });
  if (settled) {
    await db.updateTable('instances').set({ state: 'stopping' }).where('id', '=', settled.id).execute();
    planted.push(`mismatch: i-${settled.id} stopping with no operation`);
  }
  const rent = async (label: string) => {
    const [offer] = await provider.searchOffers({ gpuNames: ['RTX 3090'], numGpus: 1, limit: 1 });
    if (!offer) throw new Error('no RTX 3090 offer left to plant a rental on');
    return provider.createInstance({ offerId: offer.id, image: 'pytorch/pytorch:latest', diskGb: 20, label });
  };
  planted.push(`orphan and billing unseen: machine ${await rent('gpuops-op-plantedorphan')}`);
  const deployed = await db
    .selectFrom('operations')
    .select('id')
    .where('kind', '=', 'deploy')
    .where('state', '=', 'succeeded')
    .executeTakeFirst();
  if (deployed) {
    const machine = await rent(`gpuops-${deployed.id}`);
    planted.push(`double rental, orphan and billing unseen: machine ${machine} for ${deployed.id}`);
  }
  return planted;
}

interface Findings {
  notFinal: string[];
  mismatches: string[];
  orphans: string[];
  billingUnseen: string[];
  doubleRentals: string[];
}

/** Compares every record with the provider's state, as the goals define it. */
async function check(): Promise<Findings> {
  const db = g!.runtime.database.db;
  const state: SimStateView = await getSimState(sim!);
  const ops = await db.selectFrom('operations').selectAll().execute();
  const rows = await db.selectFrom('instances').selectAll().execute();
  const opById = new Map(ops.map((o) => [o.id, o]));
  const busy = new Set(ops.filter((o) => IN_FLIGHT.includes(o.state)).map((o) => o.instance_id));
  const alive = state.instances.filter((i) => !i.destroyed);
  const machineById = new Map(alive.map((m) => [String(m.id), m]));
  const viewOf = (row: InstanceRow): ProviderView => {
    const machine = row.provider_instance_id ? machineById.get(row.provider_instance_id) : undefined;
    return machine ? toInstanceStatus(machine.actual_status) : 'gone';
  };
  const isLive = (row: InstanceRow) => LIVE_STATES.includes(row.state);
  const describe = (row: InstanceRow) =>
    `i-${row.id} (${row.state}, machine ${row.provider_instance_id ?? 'none'} ${viewOf(row)}, deploy ${row.operation_id} ${opById.get(row.operation_id)?.state ?? '?'})`;

  const findings: Findings = {
    notFinal: [],
    mismatches: [],
    orphans: [],
    billingUnseen: [],
    doubleRentals: [],
  };
  for (const op of ops) {
    if (IN_FLIGHT.includes(op.state))
      findings.notFinal.push(
        `${op.id} ${op.kind} ${op.state} (step ${op.step ?? '-'}, attempts ${op.attempts})`,
      );
  }
  for (const row of rows) {
    if (busy.has(row.id)) continue;
    if (isLive(row)) {
      if (!row.provider_instance_id)
        findings.mismatches.push(`${describe(row)}: live record with no machine`);
      else if (!agreesWithProvider(row.state, viewOf(row)))
        findings.mismatches.push(`${describe(row)}: record disagrees with the provider`);
      if (MOVING_STATES.includes(row.state))
        findings.mismatches.push(`${describe(row)}: moving state with no operation in flight`);
    } else if (row.provider_instance_id && viewOf(row) !== 'gone') {
      findings.mismatches.push(
        `${describe(row)}: record says destroyed but the provider still has the machine`,
      );
    }
  }
  for (const machine of alive) {
    const operationId = operationOfLabel(machine.label);
    const status = toInstanceStatus(machine.actual_status);
    const claims = rows.filter((r) => isLive(r) && r.provider_instance_id === String(machine.id));
    const what = `machine ${machine.id} (${machine.label ?? 'no label'}, ${status})`;
    if (operationId) {
      const deploy = opById.get(operationId);
      if (claims.length === 0) findings.orphans.push(`${what}: no live record claims it`);
      else if (deploy?.state === 'failed')
        findings.orphans.push(`${what}: its deploy failed (${deploy.error?.code}) yet it is not destroyed`);
    }
    if (GPU_BILLING.includes(status) && !claims.some((r) => billsGpus(r.state, undefined)))
      findings.billingUnseen.push(
        `${what}: bills GPUs, records say ${claims.map((r) => `i-${r.id} ${r.state}`).join(', ') || 'nothing'}`,
      );
  }
  const byLabel = new Map<string, number[]>();
  for (const machine of state.instances) {
    if (!operationOfLabel(machine.label)) continue;
    byLabel.set(machine.label!, [...(byLabel.get(machine.label!) ?? []), machine.id]);
  }
  for (const [label, ids] of byLabel) {
    if (ids.length > 1) findings.doubleRentals.push(`${label}: ${ids.length} machines (${ids.join(', ')})`);
  }
  return findings;
}

let ok = false;
let exitCode = 1;
try {
  ownDataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-chaos-'));
  sim = await startSimulator({
    timeScale: TIME_SCALE,
    offers: 1_200,
    seed: 42,
    dataDir: path.join(ownDataDir, 'sim'),
  });
  g = await startTestGpuops({
    db: 'postgres',
    queue: 'redis',
    role: 'bot',
    sim,
    env: {
      GPUOPS_JOB_LOCK_MS: '1500',
      GPUOPS_PROVIDER_RETRIES: '2',
      GPUOPS_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
      GPUOPS_ORPHAN_GRACE_MS: String(ORPHAN_GRACE_MS),
      // Kind to two cores: jobs poll the provider a few times a second, not 25.
      GPUOPS_POLL_INTERVAL_MS: '150',
      GPUOPS_WORKER_CONCURRENCY: '4',
    },
  });
  for (let slot = 0; slot < WORKERS; slot++) startWorker(slot);

  figures.phase = 'load';
  await setFaultRate(sim, { rate: FAULT_RATE, appliedShare: APPLIED_SHARE, seed: SEED });
  await loadPhase();

  figures.phase = 'settle';
  await setFaultRate(sim, { rate: 0 });
  for (let slot = 0; slot < WORKERS; slot++) if (!workers[slot]) startWorker(slot);
  await waitUntilFinal();

  figures.phase = 'reconcile';
  const services = {
    config: g.runtime.config,
    db: g.runtime.database.db,
    provider: g.runtime.provider,
    sshKey: g.runtime.sshKey,
    log: g.runtime.log,
    deploymentId: g.runtime.deploymentId,
  };
  const jobs = jobStatesOn(g.runtime.queueBackend);
  let findings: Findings | undefined;
  try {
    for (let pass = 0; pass < FINAL_PASSES; pass++) {
      // Past the orphan grace of whatever ended last, so the pass may release what nothing wants.
      await sleep(ORPHAN_GRACE_MS + 500);
      const report = await reconcile(services, jobs);
      figures.reconcilePasses.push({
        repaired: report.repaired,
        removed: report.removed,
        abandoned: report.abandoned,
        orphansDestroyed: report.orphansDestroyed,
      });
      findings = await check();
      const clean = Object.values(findings).every((list) => list.length === 0);
      if (clean) break;
    }
  } finally {
    await jobs.close();
  }

  if (PLANT) {
    figures.phase = 'plant';
    // No worker's reconciler may repair what is planted before it is checked.
    await stopWorkers();
    figures.planted = await plantProblems();
    findings = await check();
  }

  figures.phase = 'check';
  await collectFigures();
  const f = findings!;
  figures.notFinal = f.notFinal.length;
  figures.mismatches = f.mismatches.length;
  figures.orphans = f.orphans.length;
  figures.billingUnseen = f.billingUnseen.length;
  figures.doubleRentals = f.doubleRentals.length;
  figures.problems.push(
    ...f.notFinal.map((s) => `not final: ${s}`),
    ...f.mismatches.map((s) => `mismatch: ${s}`),
    ...f.orphans.map((s) => `orphan: ${s}`),
    ...f.billingUnseen.map((s) => `billing unseen: ${s}`),
    ...f.doubleRentals.map((s) => `double rental: ${s}`),
  );
  ok = PLANT
    ? f.notFinal.length >= 1 &&
      f.mismatches.length >= 1 &&
      f.orphans.length >= 2 &&
      f.billingUnseen.length >= 2 &&
      f.doubleRentals.length >= 1
    : Object.values(f).every((list) => list.length === 0);
  figures.phase = 'done';
  exitCode = ok ? 0 : 1;
} catch (err) {
  figures.problems.push(
    `the run itself failed in ${figures.phase}: ${err instanceof Error ? err.stack : String(err)}`,
  );
  exitCode = 1;
}
clearTimeout(deadline);
printFigures(ok);
if (!ok) console.error(`last worker output:\n${workerOutput.slice(-40).join('\n')}`);
await cleanup();
process.exit(exitCode);
