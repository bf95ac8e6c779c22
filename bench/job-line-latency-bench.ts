/**
 * Delay from a line printed on the machine to the same line in the job's progress message. The
 * command prints a line carrying its own timestamp (`date +%s%3N`) every 300 ms for about 20 s; the
 * job is followed the way the bots follow it, through the real OperationFollower (the job watcher
 * behind it, the ProgressRelay at GPUOPS_PROGRESS_INTERVAL_MS, default 1 s), into a surface that
 * records when each edit lands and which lines it shows. The simulator runs commands on this host,
 * so machine and bench share a clock.
 *
 * One job per surface:
 * - direct: every edit lands at once (no platform limit);
 * - slack: edits go through gpuops's EditBudget as the Slack bot sets it (36 a minute a workspace);
 * - discord: as the Discord bot sets it (4 in any 5 s a channel).
 * `--api-ms` adds a platform round trip to each edit (default 0, so the figures are gpuops's own).
 *
 * A line scrolled out of the last lines (12) between two edits is never shown: counted apart.
 *
 *   npx tsx bench/job-line-latency-bench.ts [--seconds 20] [--every-ms 300] [--job-poll-ms 1000]
 *                                           [--progress-ms 1000] [--api-ms 0] [--surfaces direct,slack,discord]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJob, setJobOperation } from '../db/repositories/jobs.ts';
import type { ChatSurface, MessageRef, OutgoingMessage } from '../src/agent/chat-surface.ts';
import { EditBudget } from '../src/bots/edit-budget.ts';
import { readJobLog } from '../src/cloud/jobs/job-log.ts';
import { type Simulator, startSimulator } from '../src/cloud/sim/index.ts';
import { jobSpecSchema } from '../src/domain/jobs.ts';
import { type GpuopsUnderTest, startGpuopsOn } from '../tests/support/gpuops-harness.ts';
import { option, percentile } from './stats.ts';

const seconds = option('seconds', 20);
const everyMs = option('every-ms', 300);
const jobPollMs = option('job-poll-ms', 1000);
const progressMs = option('progress-ms', 1000);
const apiMs = option('api-ms', 0);
const surfacesAt = process.argv.indexOf('--surfaces');
const surfaceNames = (surfacesAt >= 0 ? process.argv[surfacesAt + 1]! : 'direct,slack,discord').split(',');

/** The budgets the bots give their platforms (src/bots/slack/slack-bot.ts, discord-bot-context.ts). */
const BUDGETS: Record<string, { limit: number; intervalMs: number } | undefined> = {
  direct: undefined,
  slack: { limit: 36, intervalMs: 60_000 },
  discord: { limit: 4, intervalMs: 5_000 },
};

/** A platform stand-in: edits wait their turn in the platform's budget, then land after `apiMs`. */
class TimedSurface implements ChatSurface {
  readonly name = 'bench';
  /** When each line (by number) first showed in the message, and the time it was printed. */
  readonly firstShown = new Map<number, { printed: number; shown: number }>();
  edits = 0;
  /** When the last edit that showed any output landed. */
  lastOutputAt = 0;
  private readonly budget: EditBudget | undefined;

  constructor(limits: { limit: number; intervalMs: number } | undefined) {
    this.budget = limits && new EditBudget(limits);
  }

  async post(message: OutgoingMessage): Promise<MessageRef> {
    this.record(message);
    return { id: 'm1' };
  }

  async update(_ref: MessageRef, message: OutgoingMessage, newest?: () => OutgoingMessage): Promise<void> {
    const land = async () => {
      // Read when the turn comes, as the real surfaces do.
      const sent = newest?.() ?? message;
      if (apiMs > 0) await sleep(apiMs);
      this.edits++;
      this.record(sent);
    };
    if (this.budget) await this.budget.spend('workspace', land);
    else await land();
  }

  async confirm(): Promise<boolean> {
    return true;
  }

  private record(message: OutgoingMessage): void {
    const now = Date.now();
    if (message.progress?.output?.length) this.lastOutputAt = now;
    for (const line of message.progress?.output ?? []) {
      const found = /^L(\d+) (\d{13})$/.exec(line.trim());
      if (!found) continue;
      const number = Number(found[1]);
      if (!this.firstShown.has(number))
        this.firstShown.set(number, { printed: Number(found[2]), shown: now });
    }
  }
}

let sim: Simulator | undefined;
let g: GpuopsUnderTest | undefined;
let dataDir: string | undefined;
let exitCode = 0;
try {
  dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-line-latency-'));
  sim = await startSimulator({ timeScale: 0.01, offers: 600, dataDir: path.join(dataDir, 'sim') });
  g = await startGpuopsOn(sim.url, {
    db: 'postgres',
    queue: 'redis',
    role: 'all',
    baseEnv: { LOG_LEVEL: 'silent', PORT: '0', GPUOPS_WORKSPACE_DIR: '.' },
    env: {
      GPUOPS_HEALTH_INTERVAL_MS: '0',
      // Only the boot wait is sped up; the job's own cadences are what is measured.
      GPUOPS_POLL_INTERVAL_MS: '100',
      GPUOPS_JOB_POLL_MS: String(jobPollMs),
      GPUOPS_PROGRESS_INTERVAL_MS: String(progressMs),
    },
  });
  const runtime = g.runtime;
  const lines = Math.round((seconds * 1000) / everyMs);
  const stat = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 50).toFixed(0)} p95 ${percentile(sorted, 95).toFixed(0)} max ${(sorted[sorted.length - 1] ?? Number.NaN).toFixed(0)} ms`;
  };
  const report: string[] = [];
  for (const name of surfaceNames) {
    if (!(name in BUDGETS)) throw new Error(`no surface "${name}": direct, slack or discord`);
    const db = runtime.database.db;
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({
        command: `i=1; while [ $i -le ${lines} ]; do echo "L$i $(date +%s%3N)"; i=$((i + 1)); sleep ${everyMs / 1000}; done`,
        target: { kind: 'rent', gpu: 'rtx-4090', count: 1, image: 'pytorch/pytorch:latest', disk_gb: 20 },
      }),
    });
    const ref = await runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
    });
    await setJobOperation(db, job.id, ref.operationId);
    const surface = new TimedSurface(BUDGETS[name]);
    const final = await runtime.chat!.follower.follow(
      { operationId: ref.operationId, kind: 'run_job' },
      surface,
      g.context.replyTo,
    );
    if (final.state !== 'succeeded')
      throw new Error(`j-${job.id} ended ${final.state}: ${final.error?.message}`);
    const delays = [...surface.firstShown.values()].map((s) => s.shown - s.printed);
    // Every line as printed, from the job's whole log in storage.
    const chunks: Buffer[] = [];
    await readJobLog(
      await runtime.snapshots!.store(),
      job.id,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
    );
    const printed = [
      ...Buffer.concat(chunks)
        .toString('utf8')
        .matchAll(/^L(\d+) (\d{13})$/gm),
    ].map((m) => ({
      number: Number(m[1]),
      at: Number(m[2]),
    }));
    const unseen = printed.filter((p) => !surface.firstShown.has(p.number));
    const afterLastEdit = unseen.filter((p) => p.at > surface.lastOutputAt).length;
    const line = `  ${name.padEnd(8)} ${stat(delays)} · ${surface.firstShown.size}/${printed.length} lines shown; unseen: ${unseen.length - afterLastEdit} scrolled past, ${afterLastEdit} printed after the last edit (the final state shows no output) · ${surface.edits} edits`;
    console.log(line);
    report.push(line);
  }
  console.log(
    `job line latency (a line every ${everyMs} ms for ${seconds} s; GPUOPS_JOB_POLL_MS ${jobPollMs}, GPUOPS_PROGRESS_INTERVAL_MS ${progressMs}, platform round trip ${apiMs} ms; goal < 2000 ms):\n${report.join('\n')}`,
  );
} catch (err) {
  console.error('job-line-latency bench failed:', err);
  exitCode = 1;
} finally {
  await g?.close().catch((err: unknown) => console.error('cleanup:', err));
  await sim?.close().catch((err: unknown) => console.error('cleanup:', err));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
