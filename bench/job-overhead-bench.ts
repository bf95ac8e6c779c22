/**
 * gpuops's own overhead per job, beyond the provider's waits and the command's run time. Jobs run
 * one after another on the simulator (a machine rented for each, `sleep 1` by default), with
 * gpuops's default poll settings (GPUOPS_POLL_INTERVAL_MS 2 s while a machine boots,
 * GPUOPS_JOB_POLL_MS 1 s while a command runs). Everything is measured from outside src/:
 *
 * - total: from just before the enqueue to the operation's finished_at (its row, same host clock);
 * - provider boot: the simulator's own creation time of the machine to the moment its admin state
 *   first shows it running with SSH published (polled every 20 ms here, in this process);
 * - command: the `date +%s.%N` the command prints as its first and last lines, read from its log;
 * - provider release: the destroy calls' durations (the simulator releases inside the call);
 * - overhead = total − provider boot − command − provider release.
 *
 * The overhead is then split along the job's timeline, from the progress steps the operation
 * reports (seen by a job watcher subscription, as the bots see them) and the timestamps above:
 * queue pickup, rent (search + create), boot detection (poll cadence), SSH checks and start (GPU
 * check, workspace, inputs if any, the detached start), end detection (job poll, last read, log
 * flush), artifacts (output sync), release (the calls around the destroy, records). Alongside,
 * per job: provider API calls, SSH connections and object-store calls, each counted and timed by
 * wrapping the provider object, ssh2's Client and the store from here.
 *
 *   npx tsx bench/job-overhead-bench.ts [--n 10] [--sleep 1] [--time-scale 0.05] [--input 0|1]
 *                                       [--job-poll-ms 1000] [--poll-ms 2000]
 *
 * --input 1 gives each job one small s3:// input, so fetching inputs (a run of its own) is
 * measured too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'ssh2';
import { createJob, getJob, setJobOperation } from '../db/repositories/jobs.ts';
import { getOperation } from '../db/repositories/operations.ts';
import { type Simulator, startSimulator } from '../src/cloud/sim/index.ts';
import { jobSpecSchema } from '../src/domain/jobs.ts';
import { type GpuopsUnderTest, startGpuopsOn } from '../tests/support/gpuops-harness.ts';
import { option, percentile } from './stats.ts';

const n = option('n', 10);
const sleepS = option('sleep', 1);
const timeScale = option('time-scale', 0.05);
const withInput = option('input', 0) === 1;
const jobPollMs = option('job-poll-ms', 1000);
const pollMs = option('poll-ms', 2000);
/** Prints the first job's timeline: every step, SSH connection and store call. */
const verbose = process.argv.includes('--verbose');

/** One timed call of something wrapped here. */
interface Call {
  what: string;
  start: number;
  end: number;
}
const calls: Call[] = [];

/** Times every method call of `target` (its own and its prototype's) into `calls` as `prefix.method`. */
function instrument(target: object, prefix: string): void {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(target); proto && proto !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
    proto = Object.getPrototypeOf(proto);
  }
  const record = target as Record<string, unknown>;
  for (const name of names) {
    const original = record[name];
    if (typeof original !== 'function') continue;
    record[name] = function timed(this: unknown, ...args: unknown[]) {
      const start = Date.now();
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (result instanceof Promise) {
        return result.finally(() => calls.push({ what: `${prefix}.${name}`, start, end: Date.now() }));
      }
      calls.push({ what: `${prefix}.${name}`, start, end: Date.now() });
      return result;
    };
  }
}

/** Every SSH connection gpuops opens: connect → ready (handshake) and → close. */
interface SshConn {
  start: number;
  ready?: number;
  end?: number;
  execs: number;
  /** Each exec: asked → its channel closed. */
  execTimes: Array<{ start: number; end?: number; command: string }>;
}
const sshConns: SshConn[] = [];
const originalConnect = Client.prototype.connect;
Client.prototype.connect = function connect(this: Client, config) {
  const conn: SshConn = { start: Date.now(), execs: 0, execTimes: [] };
  sshConns.push(conn);
  this.once('ready', () => {
    conn.ready = Date.now();
  });
  this.once('close', () => {
    conn.end = Date.now();
  });
  const originalExec = this.exec;
  this.exec = function exec(this: Client, ...args: unknown[]) {
    conn.execs++;
    const timing: SshConn['execTimes'][number] = { start: Date.now(), command: String(args[0]).slice(0, 60) };
    conn.execTimes.push(timing);
    const callback = args[args.length - 1] as (err: unknown, channel: NodeJS.EventEmitter) => void;
    args[args.length - 1] = (err: unknown, channel: NodeJS.EventEmitter) => {
      channel?.once('close', () => {
        timing.end = Date.now();
      });
      callback(err, channel);
    };
    return (originalExec as (...a: unknown[]) => Client).apply(this, args);
  } as Client['exec'];
  return originalConnect.call(this, config);
};

interface Sample {
  total: number;
  providerBoot: number;
  command: number;
  providerRelease: number;
  overhead: number;
  parts: Record<string, number>;
  counts: Record<string, number>;
}

const PARTS = [
  'queue pickup',
  'rent (search+create)',
  'boot detection',
  'ssh checks+inputs+start',
  'end detection+log flush',
  '  (of it: waiting for the poll)',
  'artifacts sync',
  'release (besides destroy)',
] as const;

let sim: Simulator | undefined;
let g: GpuopsUnderTest | undefined;
let dataDir: string | undefined;
let exitCode = 0;
try {
  dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-job-overhead-'));
  sim = await startSimulator({ timeScale, offers: 600, dataDir: path.join(dataDir, 'sim') });
  g = await startGpuopsOn(sim.url, {
    db: 'postgres',
    queue: 'redis',
    role: 'all',
    // gpuops's defaults for everything that paces a job; only what a bench must set.
    baseEnv: { LOG_LEVEL: 'silent', PORT: '0', GPUOPS_WORKSPACE_DIR: '.' },
    env: {
      GPUOPS_HEALTH_INTERVAL_MS: '0',
      GPUOPS_JOB_POLL_MS: String(jobPollMs),
      GPUOPS_POLL_INTERVAL_MS: String(pollMs),
    },
  });
  const runtime = g.runtime;
  instrument(runtime.provider, 'provider');
  const store = await runtime.snapshots!.store();
  instrument(store, 'store');
  const inputKey = 'bench/job-overhead-input.bin';
  if (withInput) await store.put(inputKey, Buffer.alloc(64 * 1024, 7));

  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const db = runtime.database.db;
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({
        command: `echo "BENCH_START $(date +%s.%N)"\nsleep ${sleepS}\necho "BENCH_END $(date +%s.%N)"`,
        target: { kind: 'rent', gpu: 'rtx-4090', count: 1, image: 'pytorch/pytorch:latest', disk_gb: 20 },
        ...(withInput && {
          inputs: [{ source: `s3://${runtime.config.storage.bucket}/${inputKey}`, path: 'input.bin' }],
        }),
      }),
    });
    const steps = new Map<number, number>();
    const t0 = Date.now();
    const ref = await runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
    });
    await setJobOperation(db, job.id, ref.operationId);
    const label = `gpuops-${ref.operationId}`;
    // The machine as the simulator sees it, in this process.
    const machine: { created?: number; running?: number; destroyed?: number } = {};
    let watching = true;
    const simPoll = (async () => {
      while (watching) {
        const state = await sim!.admin.state();
        const m = state.instances.find((x) => x.label === label);
        if (m) {
          machine.created ??= m.start_date * 1000;
          if (m.actual_status === 'running' && m.ssh_port) machine.running ??= Date.now();
          if (m.destroyed) machine.destroyed ??= Date.now();
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const final = await runtime.watcher!.watch(ref.operationId, {
      progress: (view) => {
        if (!steps.has(view.stepIndex)) steps.set(view.stepIndex, Date.now());
      },
    });
    const finalSeen = Date.now();
    watching = false;
    await simPoll;
    const op = (await getOperation(db, ref.operationId))!;
    const row = (await getJob(db, job.id))!;
    if (final.state !== 'succeeded')
      throw new Error(`job ${job.id} ended ${final.state}: ${final.error?.message}`);
    const mark = (word: string) => {
      const found = new RegExp(`${word} (\\d+\\.\\d+)`).exec(row.log_tail);
      if (!found) throw new Error(`no ${word} in the log tail of j-${job.id}:\n${row.log_tail}`);
      return Number(found[1]) * 1000;
    };
    const cmdStart = mark('BENCH_START');
    const cmdEnd = mark('BENCH_END');
    const end = op.finished_at!.getTime();
    const step = (i: number) => {
      const at = steps.get(i);
      if (at === undefined) throw new Error(`step ${i} of ${ref.operationId} was never reported`);
      return at;
    };
    const sshMine = sshConns.filter((c) => c.start >= t0 && (c.end ?? finalSeen) <= finalSeen);
    // The read that saw the command's end: the first SSH exchange opened after it ended.
    const endRead = sshMine.find((c) => c.start >= cmdEnd);
    const waitedForPoll = (endRead?.start ?? cmdEnd) - cmdEnd;
    const mine = calls.filter((c) => c.start >= t0 && c.end <= finalSeen);
    const sum = (what: string) =>
      mine.filter((c) => c.what === what).reduce((s, c) => s + c.end - c.start, 0);
    const providerBoot = machine.running! - machine.created!;
    const providerRelease = sum('provider.destroyInstance');
    const total = end - t0;
    const command = cmdEnd - cmdStart;
    const release = end - step(7);
    const parts: Record<string, number> = {
      'queue pickup': step(0) - t0,
      'rent (search+create)': machine.created! - step(0),
      'boot detection': step(3) - machine.running!,
      'ssh checks+inputs+start': cmdStart - step(3),
      'end detection+log flush': step(6) - cmdEnd,
      '  (of it: waiting for the poll)': waitedForPoll,
      'artifacts sync': step(7) - step(6),
      'release (besides destroy)': release - providerRelease,
    };
    const counts: Record<string, number> = {
      'provider calls': mine.filter((c) => c.what.startsWith('provider.')).length,
      'provider call ms': mine
        .filter((c) => c.what.startsWith('provider.'))
        .reduce((s, c) => s + c.end - c.start, 0),
      'provider getInstance calls': mine.filter((c) => c.what === 'provider.getInstance').length,
      'ssh connections': sshMine.length,
      'ssh handshake ms': sshMine.reduce((s, c) => s + ((c.ready ?? c.start) - c.start), 0),
      'ssh connection ms': sshMine.reduce((s, c) => s + ((c.end ?? finalSeen) - c.start), 0),
      'ssh conns before cmd start': sshMine.filter((c) => c.start >= step(3) && c.start < cmdStart).length,
      'ssh ms before cmd start': sshMine
        .filter((c) => c.start >= step(3) && c.start < cmdStart)
        .reduce((s, c) => s + ((c.end ?? finalSeen) - c.start), 0),
      'ssh conns while running': sshMine.filter((c) => c.start >= cmdStart && c.start < step(6)).length,
      'store calls': mine.filter((c) => c.what.startsWith('store.')).length,
      'store call ms': mine
        .filter((c) => c.what.startsWith('store.'))
        .reduce((s, c) => s + c.end - c.start, 0),
      'store puts': mine.filter((c) => c.what === 'store.put').length,
      'final seen by bot after finished_at': finalSeen - end,
      'running step reported after cmd start': step(5) - cmdStart,
    };
    const sample: Sample = {
      total,
      providerBoot,
      command,
      providerRelease,
      overhead: total - providerBoot - command - providerRelease,
      parts,
      counts,
    };
    samples.push(sample);
    if (verbose && i === 0) {
      const at = (t: number) => `+${String(Math.round(t - t0)).padStart(5)}`;
      const events: Array<[number, string]> = [
        ...[...steps].map(([k, t]): [number, string] => [t, `step ${k} reported`]),
        [machine.created!, 'sim: machine created'],
        [machine.running!, 'sim: machine running with SSH'],
        [cmdStart, 'machine: command starts'],
        [cmdEnd, 'machine: command ends'],
        [end, 'operation finished_at'],
        ...sshMine.map((c): [number, string] => [
          c.start,
          `ssh connect: handshake ${(c.ready ?? c.start) - c.start} ms, open ${(c.end ?? finalSeen) - c.start} ms; ${c.execTimes.map((e) => `exec ${(e.end ?? finalSeen) - e.start} ms "${e.command.split('\n')[0]}"`).join('; ')}`,
        ]),
        ...mine.map((c): [number, string] => [c.start, `${c.what} ${c.end - c.start} ms`]),
      ];
      events.sort((a, b) => a[0] - b[0]);
      console.log(events.map(([t, what]) => `  ${at(t)} ms  ${what}`).join('\n'));
    }
    console.log(
      `job ${i + 1}/${n} j-${job.id}: total ${total} ms = provider boot ${providerBoot} + command ${command.toFixed(0)} + provider release ${providerRelease} + overhead ${sample.overhead.toFixed(0)} (${Object.entries(
        parts,
      )
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')})`,
    );
  }
  const stat = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 50).toFixed(0)} p95 ${percentile(sorted, 95).toFixed(0)} max ${sorted[sorted.length - 1]!.toFixed(0)}`;
  };
  const lines = [
    `job overhead (n=${n}, \`sleep ${sleepS}\`${withInput ? ', one 64 KB s3:// input' : ', no inputs'}, simulator time scale ${timeScale}, GPUOPS_POLL_INTERVAL_MS ${pollMs}, GPUOPS_JOB_POLL_MS ${jobPollMs}), ms:`,
    `  total              ${stat(samples.map((s) => s.total))}`,
    `  provider boot      ${stat(samples.map((s) => s.providerBoot))}`,
    `  command            ${stat(samples.map((s) => s.command))}`,
    `  provider release   ${stat(samples.map((s) => s.providerRelease))}`,
    `  gpuops OVERHEAD    ${stat(samples.map((s) => s.overhead))}   (goal < 1000)`,
    `  of which:`,
    ...PARTS.map((p) => `    ${p.padEnd(32)} ${stat(samples.map((s) => s.parts[p]!))}`),
    `  per job:`,
    ...Object.keys(samples[0]!.counts).map(
      (k) => `    ${k.padEnd(38)} ${stat(samples.map((s) => s.counts[k]!))}`,
    ),
  ];
  console.log(lines.join('\n'));
} catch (err) {
  console.error('job-overhead bench failed:', err);
  exitCode = 1;
} finally {
  Client.prototype.connect = originalConnect;
  await g?.close().catch((err: unknown) => console.error('cleanup:', err));
  await sim?.close().catch((err: unknown) => console.error('cleanup:', err));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
