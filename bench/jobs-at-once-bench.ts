/**
 * 50 jobs at once while workers are killed: machines left billing must be 0. A bot-role gpuops in
 * this process queues the jobs (each rents its own machine and runs a command of a few seconds that
 * writes a file into its output folder); three `gpuops worker` children run them, and every few
 * seconds one of them, at random, is killed with SIGKILL and a new one started, until every job
 * has ended. Then the simulator's machines labelled with any of the jobs' operations are counted:
 * those not destroyed are left billing. If any are, the reconciler gets its passes (the workers'
 * own, every few seconds, and passes run from here) before the final count.
 *
 * Prints how the jobs ended (job states, operation errors), the total time, the machines rented per
 * job (1 each: a worker that takes a job over finds its machine by label and never rents a second
 * one), the outputs kept, the kills, and the machines left billing.
 *
 *   npx tsx bench/jobs-at-once-bench.ts [--jobs 50] [--workers 3] [--concurrency 8]
 *                                       [--kill-every-s 4] [--time-scale 0.02] [--seed 7]
 *                                       [--deadline-s 600]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJob, setJobOperation } from '../db/repositories/jobs.ts';
import { IN_FLIGHT } from '../db/repositories/operations.ts';
import { getSimState } from '../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../src/cloud/sim/index.ts';
import { createRng } from '../src/cloud/sim/prng.ts';
import { jobSpecSchema } from '../src/domain/jobs.ts';
import { jobStatesOn, reconcile } from '../src/jobs/upkeep/reconciler.ts';
import { GPUOPS_DEV_BIN } from '../tests/support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../tests/support/gpuops-harness.ts';
import { option } from './stats.ts';

const JOBS = option('jobs', 50);
const WORKERS = option('workers', 3);
const CONCURRENCY = option('concurrency', 8);
const KILL_EVERY_MS = option('kill-every-s', 4) * 1000;
const TIME_SCALE = option('time-scale', 0.02);
const SEED = option('seed', 7);
const DEADLINE_MS = option('deadline-s', 600) * 1000;
const RECONCILE_INTERVAL_MS = 3_000;
const ORPHAN_GRACE_MS = 2_000;
const GPUS = ['rtx-4090', 'rtx-3090', 'rtx-a6000', 'l40s', 'a100-80gb'];

const rng = createRng(SEED);
const startedAt = Date.now();
let sim: Simulator | undefined;
let g: TestGpuops | undefined;
let dataDir: string | undefined;
const workers: Array<ChildProcess | undefined> = new Array(WORKERS).fill(undefined);
const killed = new WeakSet<ChildProcess>();
let keepAlive = true;
const workerOutput: string[] = [];
const figures = { kills: 0, starts: 0, selfExits: 0 };

function startWorker(slot: number): void {
  if (!g) return;
  const child = spawn(process.execPath, [GPUOPS_DEV_BIN, 'worker'], {
    env: { ...process.env, ...g.env, GPUOPS_LOG_FILE: '-', LOG_LEVEL: 'warn', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  figures.starts++;
  workers[slot] = child;
  const keep = (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.trim()) workerOutput.push(`[w${slot}] ${line}`);
    if (workerOutput.length > 300) workerOutput.splice(0, workerOutput.length - 300);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => {
    if (workers[slot] === child) workers[slot] = undefined;
    if (killed.has(child)) return;
    figures.selfExits++;
    // As a process supervisor would, bring a worker that died by itself back.
    if (keepAlive) setTimeout(() => workers[slot] ?? startWorker(slot), 500);
  });
}

async function stopWorkers(): Promise<void> {
  keepAlive = false;
  await Promise.race([
    Promise.all(
      workers.map((child) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        killed.add(child);
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        return exited;
      }),
    ),
    sleep(5_000),
  ]);
}

/** Machines the simulator has for these operations (any attempt's label), destroyed ones included. */
async function machinesOf(operationIds: string[]) {
  const state = await getSimState(sim!);
  const byOp = new Map<string, Array<{ id: number; destroyed: boolean; status: string | null }>>(
    operationIds.map((id) => [id, []]),
  );
  for (const m of state.instances) {
    const label = m.label ?? '';
    const op = operationIds.find((id) => label === `gpuops-${id}` || label.startsWith(`gpuops-${id}.`));
    if (op) byOp.get(op)!.push({ id: m.id, destroyed: m.destroyed, status: m.actual_status });
  }
  return byOp;
}

const deadline = setTimeout(() => {
  console.error(`jobs-at-once: deadline of ${DEADLINE_MS / 1000} s reached; cleaning up`);
  console.error(workerOutput.slice(-30).join('\n'));
  void cleanup().finally(() => process.exit(2));
}, DEADLINE_MS);

async function cleanup(): Promise<void> {
  await stopWorkers();
  await Promise.race([g?.close().catch((err: unknown) => console.error('cleanup:', err)), sleep(20_000)]);
  await Promise.race([sim?.close().catch((err: unknown) => console.error('cleanup:', err)), sleep(15_000)]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

let exitCode = 1;
try {
  dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-jobs-at-once-'));
  sim = await startSimulator({
    timeScale: TIME_SCALE,
    offers: 1_200,
    seed: 42,
    dataDir: path.join(dataDir, 'sim'),
  });
  g = await startTestGpuops({
    db: 'postgres',
    queue: 'redis',
    role: 'bot',
    sim,
    env: {
      GPUOPS_JOB_LOCK_MS: '1500',
      GPUOPS_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
      GPUOPS_ORPHAN_GRACE_MS: String(ORPHAN_GRACE_MS),
      GPUOPS_POLL_INTERVAL_MS: '200',
      GPUOPS_HEALTH_INTERVAL_MS: '0',
      GPUOPS_WORKER_CONCURRENCY: String(CONCURRENCY),
      GPUOPS_JOB_POLL_MS: '1000',
      GPUOPS_JOB_OUTPUT_SYNC_MS: '2000',
    },
  });
  for (let slot = 0; slot < WORKERS; slot++) startWorker(slot);

  const db = g.runtime.database.db;
  const jobs: Array<{ jobId: number; operationId: string }> = [];
  const enqueuedAt = Date.now();
  for (let i = 0; i < JOBS; i++) {
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({
        command: [
          `echo "job ${i} starts"`,
          `for s in $(seq 1 ${2 + (i % 4)}); do echo "step $s"; sleep 1; done`,
          `echo "job ${i} output" > "$GPUOPS_OUTPUT/out.txt"`,
          `echo "job ${i} done"`,
        ].join('\n'),
        target: {
          kind: 'rent',
          gpu: GPUS[i % GPUS.length]!,
          count: 1,
          image: 'pytorch/pytorch:latest',
          disk_gb: 20,
        },
      }),
    });
    const ref = await g.runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
    });
    await setJobOperation(db, job.id, ref.operationId);
    jobs.push({ jobId: job.id, operationId: ref.operationId });
  }
  const operationIds = jobs.map((j) => j.operationId);
  console.log(
    `jobs-at-once: ${JOBS} jobs queued in ${Date.now() - enqueuedAt} ms; killing workers meanwhile`,
  );

  const open = async () =>
    (
      await db
        .selectFrom('operations')
        .select('id')
        .where('id', 'in', operationIds)
        .where('state', 'in', IN_FLIGHT)
        .execute()
    ).length;
  let left = JOBS;
  let nextKill = Date.now() + KILL_EVERY_MS * (0.5 + rng.next());
  let lastLog = Date.now();
  while (left > 0) {
    await sleep(250);
    left = await open();
    if (left > 0 && Date.now() >= nextKill) {
      const slot = rng.int(0, WORKERS - 1);
      const child = workers[slot];
      if (child) {
        killed.add(child);
        child.kill('SIGKILL');
        workers[slot] = undefined;
        figures.kills++;
        await sleep(rng.range(300, 1_500));
        if (keepAlive && !workers[slot]) startWorker(slot);
      }
      nextKill = Date.now() + KILL_EVERY_MS * (0.5 + rng.next());
    }
    if (Date.now() - lastLog >= 15_000) {
      lastLog = Date.now();
      console.log(
        `  ${Math.round((Date.now() - enqueuedAt) / 1000)} s: ${left} jobs still open, ${figures.kills} kills`,
      );
    }
  }
  const allEndedMs = Date.now() - enqueuedAt;

  const billing = async () =>
    [...(await machinesOf(operationIds)).entries()].flatMap(([op, ms]) =>
      ms.filter((m) => !m.destroyed).map((m) => `${op}: machine ${m.id} (${m.status})`),
    );
  const billingAtEnd = await billing();
  let billingAfter = billingAtEnd;
  let passes = 0;
  if (billingAtEnd.length > 0) {
    // Give the reconciler its passes: the workers' own, and three run from here past the orphan grace.
    const services = g.workerServices();
    const states = jobStatesOn(g.runtime.queueBackend);
    try {
      for (; passes < 3 && billingAfter.length > 0; passes++) {
        await sleep(ORPHAN_GRACE_MS + 500);
        await reconcile(services, states);
        billingAfter = await billing();
      }
    } finally {
      await states.close();
    }
  }
  await stopWorkers();

  const jobRows = await db
    .selectFrom('jobs')
    .selectAll()
    .where(
      'id',
      'in',
      jobs.map((j) => j.jobId),
    )
    .execute();
  const opRows = await db.selectFrom('operations').selectAll().where('id', 'in', operationIds).execute();
  const count = (values: string[]) => {
    const m = new Map<string, number>();
    for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
    return [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  };
  const machines = await machinesOf(operationIds);
  const rentedPerJob = operationIds.map((op) => machines.get(op)!.length);
  const twice = operationIds.filter((op) => machines.get(op)!.length > 1);
  const withOutput = jobRows.filter((j) => j.artifacts?.some((a) => a.path === 'out.txt')).length;
  const attempts = opRows.map((o) => o.attempts);
  console.log(
    [
      `jobs at once (${JOBS} jobs, ${WORKERS} workers × concurrency ${CONCURRENCY}, a worker SIGKILLed every ~${KILL_EVERY_MS / 1000} s, simulator time scale ${TIME_SCALE}, GPUOPS_JOB_LOCK_MS 1500):`,
      `  all jobs ended after ${(allEndedMs / 1000).toFixed(1)} s; workers killed ${figures.kills}, started ${figures.starts}, exited by themselves ${figures.selfExits}`,
      `  jobs ended: ${count(jobRows.map((j) => j.state))}`,
      `  operations: ${count(opRows.map((o) => (o.state === 'failed' ? `failed (${o.error?.code ?? '?'})` : o.state)))}; queue attempts per operation: max ${Math.max(...attempts)}, ${attempts.filter((a) => a > 1).length} taken over at least once`,
      `  outputs kept (out.txt among the artifacts): ${withOutput}/${JOBS}`,
      `  machines rented per job: ${count(rentedPerJob.map((n) => `${n} machine${n === 1 ? '' : 's'}:`).map((s) => s))}${twice.length > 0 ? ` ✗ (${twice.join(', ')})` : ' ✓'}`,
      `  MACHINES LEFT BILLING: ${billingAtEnd.length} when the last job ended${billingAtEnd.length > 0 ? `, ${billingAfter.length} after ${passes} reconciler pass(es)` : ''} ${billingAfter.length === 0 ? '✓' : `✗ ${billingAfter.join('; ')}`}`,
    ].join('\n'),
  );
  for (const o of opRows.filter((o) => o.state === 'failed'))
    console.log(
      `  failed ${o.id}: ${o.error?.code}: ${(o.error?.message ?? '').slice(0, 200).replace(/\n/g, ' ')}`,
    );
  exitCode = billingAfter.length === 0 && twice.length === 0 ? 0 : 1;
} catch (err) {
  console.error('jobs-at-once bench failed:', err);
  console.error(workerOutput.slice(-30).join('\n'));
  exitCode = 1;
}
clearTimeout(deadline);
await cleanup();
console.log(`jobs-at-once: ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all`);
process.exit(exitCode);
