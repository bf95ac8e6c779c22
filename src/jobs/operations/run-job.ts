import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { getInstance } from '../../../db/repositories/instances.ts';
import {
  finishJob,
  getJob,
  jobHasEnded,
  jobOffsets,
  jobSpecOf,
  setJobOperation,
  updateJob,
} from '../../../db/repositories/jobs.ts';
import type { InstanceRow, JobRow } from '../../../db/schema.ts';
import { artifactsOf, jobOutputSnapshotId, readJobOutputManifest } from '../../cloud/jobs/job-artifacts.ts';
import { type InputsPlan, planInputs } from '../../cloud/jobs/job-inputs.ts';
import { JobLogWriter, OutputTail } from '../../cloud/jobs/job-log.ts';
import type { Manifest } from '../../cloud/snapshot/manifest.ts';
import { restoreWorkspace, snapshotWorkspace } from '../../cloud/snapshot/workspace-snapshot.ts';
import { RemoteJob, type RemoteJobSpec } from '../../cloud/ssh/remote-job.ts';
import { type SshTarget, sshExec } from '../../cloud/ssh/ssh-client.ts';
import { SshSession } from '../../cloud/ssh/ssh-session.ts';
import type { ObjectStore } from '../../cloud/storage/object-store.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { JOB_END_CODES, type JobArtifact, type JobEnd, type JobSpec, jobRef } from '../../domain/jobs.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import { asGpuopsError, ErrorCode, GpuopsError, isGpuopsError } from '../../errors.ts';
import { formatBytes, formatElapsed, formatUsd } from '../../format/text.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import { type JobContext, type JobHandler, operationArgs, snapshotServicesOf } from '../queue/job-context.ts';
import { withStorageLease } from '../queue/storage-lease.ts';
import { releaseJobMachine } from './job-release.ts';
import { withLiveSsh } from './operation-instance.ts';
import { provisionMachine } from './provision-machine.ts';
import { deployLabel } from './rental-label.ts';

/** The run_job operation's steps (src/jobs/queue/progress.ts JOB_STEPS.run_job). */
const STEP = {
  finding: 0,
  renting: 1,
  booting: 2,
  checking: 3,
  fetching: 4,
  running: 5,
  keeping: 6,
  releasing: 7,
} as const;

/** Log bytes held in memory before they are written to storage, whatever the time. */
const FLUSH_BYTES = 256 * 1024;
/** How often new log bytes are written to storage while a job runs. */
const FLUSH_EVERY_MS = 2_000;
/** How often the progress message is refreshed when no new line came (elapsed time, cost). */
const QUIET_REPORT_MS = 5_000;
/** Lines of output a progress message shows. */
const TAIL_LINES = 12;
/** How long a stopped command may take to end after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

/** A machine a job attempt runs on. */
interface JobMachine {
  row: InstanceRow & { ssh_host: string; ssh_port: number };
  target: SshTarget;
  /** Rented for this job (and released after), or the team's own instance (left as it is). */
  rented: boolean;
}

/** How following a command on a machine ended. */
type RunOutcome =
  | { kind: 'exited'; code: number; signal?: string; phase: 'inputs' | 'command' }
  | { kind: 'stopped'; end: 'cancelled' | 'timed_out' | 'over_budget' }
  | { kind: 'lost'; why: string };

/**
 * Runs a job (src/domain/jobs.ts) to its end: takes the instance it names or rents a machine,
 * fetches its inputs, runs its command detached on the machine (src/cloud/ssh/remote-job.ts) and
 * follows it, streaming the log to storage, the last lines and the cost into the progress message,
 * syncing its output folder to storage for a retry to resume from, and stopping it at its limits or
 * a cancel. A host lost mid-run moves the job to another machine while retries last. Whatever the
 * end, what the output folder holds is kept and a rented machine is released.
 *
 * Everything it has done is in the job's row, so a worker that takes the job over (its worker was
 * killed, gpuops restarted) carries on where it stood: the same machine (by label), the same run on
 * it (by run id), the log from the last byte stored.
 */
export const runJob: JobHandler = async (ctx) => {
  const { job: jobId } = operationArgs(ctx.operation, 'run_job');
  let row = await getJob(ctx.db, jobId);
  if (!row) {
    throw new GpuopsError(
      ErrorCode.JobNotFound,
      `Job ${jobRef(jobId)} of operation ${ctx.operation.id} is not in the database.`,
    );
  }
  if (row.operation_id !== ctx.operation.id && !jobHasEnded(row)) {
    row = await setJobOperation(ctx.db, row.id, ctx.operation.id);
  }
  const services = snapshotServicesOf(ctx);
  const run = new JobRun(ctx, row, jobSpecOf(row), await services.store(), services.workspaceDir);
  return run.toEnd();
};

class JobRun {
  private readonly ref: string;
  private readonly log: JobLogWriter;
  private readonly tail: OutputTail;
  private lastFlushAt = Date.now();
  private lastReportAt = 0;
  private lastSyncAt = Date.now();
  private syncedManifest: Manifest | undefined;
  private readonly limits: { maxMs?: number; maxCost?: number };

  constructor(
    private readonly ctx: JobContext,
    private job: JobRow,
    private readonly spec: JobSpec,
    private readonly store: ObjectStore,
    private readonly workspace: string,
  ) {
    this.ref = jobRef(job.id);
    this.log = new JobLogWriter(store, job.id, jobOffsets(job).logBytes);
    this.tail = new OutputTail(TAIL_LINES, job.log_tail);
    this.limits = {
      ...(spec.limits.max_seconds !== undefined && { maxMs: spec.limits.max_seconds * 1000 }),
      ...(spec.limits.max_cost !== undefined && { maxCost: spec.limits.max_cost }),
    };
  }

  async toEnd(): Promise<OperationResult> {
    if (jobHasEnded(this.job)) return this.recordedEnd();
    if (this.job.state === 'queued') {
      this.job = await updateJob(this.ctx.db, this.job.id, { state: 'starting', started_at: new Date() });
    }
    const ending = this.job.ending ? readEnding(this.job.ending) : undefined;
    if (ending) return this.finish(await this.machineLeft(), ending);
    for (;;) {
      if (this.job.attempt === 0) this.job = await updateJob(this.ctx.db, this.job.id, { attempt: 1 });
      const attempt = this.job.attempt;
      if (this.job.cancel_requested_at && !this.job.run_id) {
        return this.finish(undefined, { kind: 'stopped', end: 'cancelled' });
      }
      let machine: JobMachine;
      try {
        machine = await this.machine(attempt);
      } catch (err) {
        if (this.ctx.shutdown?.aborted) throw err;
        const error = asGpuopsError(err);
        if (error.code !== ErrorCode.HostFailed) throw err;
        const lost: RunOutcome = { kind: 'lost', why: error.message };
        if (this.canRetry(attempt)) {
          await this.moveOn(undefined, attempt, lost.why);
          continue;
        }
        return this.finish(undefined, lost);
      }
      const outcome = await this.runOn(machine, attempt);
      if (outcome.kind === 'lost' && machine.rented && this.canRetry(attempt)) {
        await this.moveOn(machine, attempt, outcome.why);
        continue;
      }
      return this.finish(machine, outcome);
    }
  }

  private canRetry(attempt: number): boolean {
    return this.spec.target.kind === 'rent' && attempt <= this.spec.retries;
  }

  /** The machine of this attempt: the instance the job names, or one rented for this attempt. */
  private async machine(attempt: number): Promise<JobMachine> {
    const { ctx, spec } = this;
    if (spec.target.kind === 'instance') {
      const row = await getInstance(ctx.db, spec.target.instance_id);
      const live = row?.state === 'running' ? await withLiveSsh(ctx, row) : undefined;
      if (!row || !live) {
        throw new GpuopsError(
          ErrorCode.InvalidState,
          `${instanceRef(spec.target.instance_id)} is ${row ? (row.state === 'running' ? 'not running at the provider' : row.state) : 'gone'}; a job runs on an instance only while it runs. Resume it, or run the job on a new machine.`,
        );
      }
      ctx.setInstance(live.id);
      await ctx.report(STEP.checking, `${instanceRef(live.id)} · ${live.gpu_count}x ${live.gpu_name}`);
      await this.recordMachine(live);
      return { row: live, target: this.sshTarget(live), rented: false };
    }
    await ctx.report(
      STEP.finding,
      `${spec.target.count}x ${spec.target.gpu}${attempt > 1 ? ` · attempt ${attempt}` : ''}`,
    );
    const { row } = await provisionMachine(ctx, spec.target, {
      label: deployLabel(ctx.operation.id, attempt),
      steps: { renting: STEP.renting, booting: STEP.booting, checking: STEP.checking },
    });
    await this.recordMachine(row);
    return { row, target: this.sshTarget(row), rented: true };
  }

  private async recordMachine(row: InstanceRow): Promise<void> {
    if (this.job.instance_id === row.id) return;
    const ids = this.job.instance_ids.includes(row.id)
      ? this.job.instance_ids
      : [...this.job.instance_ids, row.id];
    this.job = await updateJob(this.ctx.db, this.job.id, {
      instance_id: row.id,
      instance_ids: JSON.stringify(ids),
      // A rented machine bills from its rental; the team's own instance is counted from now.
      attempt_started_at:
        this.job.attempt_started_at ?? (this.spec.target.kind === 'rent' ? row.created_at : new Date()),
    });
  }

  private sshTarget(row: { ssh_host: string; ssh_port: number }): SshTarget {
    return { host: row.ssh_host, port: row.ssh_port, privateKey: this.ctx.sshKey.privateKey };
  }

  /** Fetches the inputs (once per attempt), restores synced output on a later attempt, and follows the command. */
  private async runOn(machine: JobMachine, attempt: number): Promise<RunOutcome> {
    const { ctx, spec } = this;
    const fetchId = `${this.ref}-a${attempt}-fetch`;
    const commandId = `${this.ref}-a${attempt}`;
    const { plan, outputRoot, workspace } = await this.folders(machine);
    if (this.job.run_id !== commandId) {
      if (plan.script) {
        if (this.job.run_id !== fetchId)
          await this.beginRun(fetchId, `fetching inputs on ${instanceRef(machine.row.id)}`);
        const fetched = await this.follow(
          new RemoteJob(machine.target, fetchId),
          {
            command: plan.script,
            workdir: workspace,
            // The fetch's own output folder is out of the way: a clone needs its target empty.
            outputDir: `/tmp/gpuops-${this.ref}-fetch`,
          },
          machine,
          STEP.fetching,
        );
        if (fetched.kind === 'exited' && fetched.code !== 0) return { ...fetched, phase: 'inputs' };
        if (fetched.kind !== 'exited') return fetched;
      }
      if (attempt > 1) await this.restoreOutput(machine, outputRoot);
      await this.beginRun(
        commandId,
        `running on ${instanceRef(machine.row.id)} (${machine.row.gpu_count}x ${machine.row.gpu_name})`,
      );
      if (!this.job.command_started_at) {
        this.job = await updateJob(ctx.db, this.job.id, { command_started_at: new Date(), state: 'running' });
      }
    }
    if (this.job.state !== 'running') this.job = await updateJob(ctx.db, this.job.id, { state: 'running' });
    return this.follow(
      new RemoteJob(machine.target, commandId),
      { command: spec.command, workdir: plan.workdir, outputDir: spec.output_dir },
      machine,
      STEP.running,
      outputRoot,
    );
  }

  /**
   * The folders of the job on its machine: the workspace (made if missing; a relative setting is
   * resolved from the folder SSH sessions start in), where the command runs and its output folder.
   */
  private async folders(
    machine: JobMachine,
  ): Promise<{ workspace: string; plan: InputsPlan; outputRoot: string }> {
    // Made if missing: a job with nothing to fetch runs in it straight away.
    const workspace = await resolveOnMachine(machine.target, this.workspace);
    const plan = await planInputs(this.spec, {
      workspace,
      jobId: this.job.id,
      sign: (bucket, key) => this.store.presignGet(key, { bucket }),
    });
    const output = this.spec.output_dir;
    return { workspace, plan, outputRoot: output.startsWith('/') ? output : `${plan.workdir}/${output}` };
  }

  /** Switches the job to a new run on its machine, whose log starts at its first byte. */
  private async beginRun(runId: string, what: string): Promise<void> {
    this.note(`${what}`);
    await this.log.flush();
    this.job = await updateJob(this.ctx.db, this.job.id, {
      run_id: runId,
      remote_offset: 0,
      log_bytes: this.log.storedBytes,
      log_tail: this.tail.text(),
    });
  }

  /** A line of gpuops's own in the job's log and output, so the log tells the whole story. */
  private note(text: string): void {
    const line = Buffer.from(`gpuops: ${text}\n`);
    this.log.append(line);
    this.tail.push(line);
  }

  /**
   * Starts (or rejoins) a run on the machine and follows it to its end, a stop or the loss of its
   * host. Returns without stopping the run only when its host is lost.
   */
  private async follow(
    remote: RemoteJob,
    start: RemoteJobSpec,
    machine: JobMachine,
    step: number,
    outputRoot?: string,
  ): Promise<RunOutcome> {
    const { ctx } = this;
    const { pollMs, unreachableMs } = ctx.config.jobs;
    let offset = jobOffsets(this.job).remoteOffset;
    let unreachableSince: number | undefined;
    let started = false;
    for (;;) {
      this.checkShutdown();
      this.job = (await getJob(ctx.db, this.job.id)) ?? this.job;
      const stop = this.stopReason(machine);
      if (stop) {
        const stopped = await this.stopRun(remote, machine, offset, stop);
        if (stopped.kind === 'lost') return stopped;
        return { kind: 'stopped', end: stop };
      }
      try {
        if (!started) {
          await remote.start(start);
          started = true;
        }
        const read = await remote.read(offset);
        unreachableSince = undefined;
        if (read.bytes.length > 0) {
          this.log.append(read.bytes);
          this.tail.push(read.bytes);
          offset = read.nextOffset;
        }
        const now = Date.now();
        if (
          read.complete ||
          this.log.pendingBytes >= FLUSH_BYTES ||
          now - this.lastFlushAt >= FLUSH_EVERY_MS
        ) {
          await this.flushLog(offset);
        }
        if (read.bytes.length > 0 || now - this.lastReportAt >= QUIET_REPORT_MS)
          await this.report(step, machine);
        if (outputRoot && now - this.lastSyncAt >= ctx.config.jobs.outputSyncMs) {
          await this.syncOutput(machine, outputRoot).catch((err: unknown) =>
            ctx.log.warn({ err, job: this.ref }, 'could not sync the job output; the next sync tries again'),
          );
        }
        const state = read.state;
        if (read.complete && state.kind === 'exited')
          return { kind: 'exited', code: state.code, phase: 'command' };
        if (read.complete && state.kind === 'killed') {
          return { kind: 'exited', code: state.code, signal: state.signal, phase: 'command' };
        }
        if (state.kind === 'lost') {
          return {
            kind: 'lost',
            why: `the run on ${instanceRef(machine.row.id)} ended without a status (its machine restarted or stopped)`,
          };
        }
        if (state.kind === 'not_found') {
          return {
            kind: 'lost',
            why: `${instanceRef(machine.row.id)} no longer has the run (its disk was replaced)`,
          };
        }
        // More of an ended run's log is waiting: read it at once.
        if (state.kind !== 'running' && read.bytes.length > 0) continue;
      } catch (err) {
        if (this.ctx.shutdown?.aborted) throw err;
        if (isGpuopsError(err) && err.code === ErrorCode.BadInput) throw err;
        unreachableSince ??= Date.now();
        const gone = await this.machineGone(machine);
        if (gone) return { kind: 'lost', why: gone };
        if (Date.now() - unreachableSince >= unreachableMs) {
          return {
            kind: 'lost',
            why: `${instanceRef(machine.row.id)} did not answer over SSH for ${formatElapsed(Date.now() - unreachableSince)} (${asGpuopsError(err).message})`,
          };
        }
        ctx.log.warn({ err, job: this.ref }, 'job machine did not answer; trying again');
      }
      await this.pause(pollMs);
    }
  }

  /** Why the job must stop now, if it must: a cancel, its time limit or its money limit. */
  private stopReason(machine: JobMachine): 'cancelled' | 'timed_out' | 'over_budget' | undefined {
    if (this.job.cancel_requested_at) return 'cancelled';
    if (this.limits.maxMs !== undefined && this.elapsedMs() >= this.limits.maxMs) return 'timed_out';
    if (this.limits.maxCost !== undefined && this.costSoFar(machine.row) >= this.limits.maxCost)
      return 'over_budget';
    return undefined;
  }

  /** Stops the run (TERM, then KILL after the grace) and takes in the rest of its log. */
  private async stopRun(
    remote: RemoteJob,
    machine: JobMachine,
    offset: number,
    why: 'cancelled' | 'timed_out' | 'over_budget',
  ): Promise<RunOutcome | { kind: 'stopped' }> {
    const said = {
      cancelled: `cancelled by ${this.job.cancel_requested_by ?? 'someone'}`,
      timed_out: `stopped at its time limit (${formatElapsed(this.limits.maxMs ?? 0)})`,
      over_budget: `stopped at its money limit (${formatUsd(this.limits.maxCost ?? 0)})`,
    }[why];
    await this.ctx.report(STEP.running, said);
    try {
      await remote.cancel(STOP_GRACE_MS);
      let next = offset;
      for (let i = 0; i < 20; i++) {
        const read = await remote.read(next);
        this.log.append(read.bytes);
        this.tail.push(read.bytes);
        next = read.nextOffset;
        if (read.complete || read.state.kind === 'not_found' || read.state.kind === 'lost') break;
        if (read.bytes.length === 0) await this.pause(500);
      }
      this.note(said);
      await this.flushLog(next);
    } catch (err) {
      if (this.ctx.shutdown?.aborted) throw err;
      const gone = await this.machineGone(machine);
      this.note(`${said}; the machine did not answer to stop the command (${asGpuopsError(err).message})`);
      await this.flushLog(offset);
      if (gone) return { kind: 'stopped' };
    }
    return { kind: 'stopped' };
  }

  /** Why the machine counts as lost, from the provider (the truth about machines), or undefined. */
  private async machineGone(machine: JobMachine): Promise<string | undefined> {
    const providerId = machine.row.provider_instance_id;
    if (!providerId) return undefined;
    try {
      const live = await this.ctx.provider.getInstance(providerId);
      if (!live) return `the provider no longer lists ${instanceRef(machine.row.id)}'s machine`;
      if (live.status !== 'running') {
        return `${instanceRef(machine.row.id)}'s machine is ${live.status}${live.statusMessage ? ` (${live.statusMessage})` : ''} at the provider`;
      }
    } catch (err) {
      this.ctx.log.warn({ err, job: this.ref }, 'could not ask the provider about a job machine');
    }
    return undefined;
  }

  private async flushLog(remoteOffset: number): Promise<void> {
    await this.log.flush();
    this.lastFlushAt = Date.now();
    this.job = await updateJob(this.ctx.db, this.job.id, {
      remote_offset: remoteOffset,
      log_bytes: this.log.storedBytes,
      log_tail: this.tail.text(),
    });
  }

  private async report(step: number, machine: JobMachine): Promise<void> {
    this.lastReportAt = Date.now();
    const cost = this.costSoFar(machine.row);
    const attempt = this.job.attempt > 1 ? ` · attempt ${this.job.attempt}` : '';
    await this.ctx.report(
      step,
      `${instanceRef(machine.row.id)} · ${formatElapsed(this.elapsedMs())} · ${formatUsd(cost)} so far${attempt}`,
      0,
      { output: this.tail.lines(), costSoFar: cost },
    );
  }

  private elapsedMs(): number {
    return Date.now() - (this.job.started_at ?? this.job.created_at).getTime();
  }

  /** What the job has cost: the attempts that ended, and the current machine since it started billing. */
  private costSoFar(row: Pick<InstanceRow, 'price_per_hour'> | undefined): number {
    const since = this.job.attempt_started_at?.getTime();
    const current =
      row && since !== undefined ? (row.price_per_hour * Math.max(0, Date.now() - since)) / 3_600_000 : 0;
    return this.job.cost + current;
  }

  /** Syncs the output folder to storage (only what changed since the last sync is uploaded). */
  private async syncOutput(machine: JobMachine, outputRoot: string): Promise<Manifest> {
    this.lastSyncAt = Date.now();
    const manifest = await withStorageLease(
      this.ctx.db,
      { mode: 'shared', holder: `job ${this.ref}`, ...(this.ctx.shutdown && { signal: this.ctx.shutdown }) },
      async (lease) => {
        const session = await SshSession.open(machine.target);
        try {
          this.syncedManifest ??= await readJobOutputManifest(this.store, this.job.id);
          const report = await snapshotWorkspace({
            session,
            store: this.store,
            root: outputRoot,
            snapshotId: jobOutputSnapshotId(this.job.id),
            previous: this.syncedManifest,
          });
          await lease.confirm();
          return report.manifest;
        } finally {
          session.close();
        }
      },
    );
    this.syncedManifest = manifest;
    this.job = await updateJob(this.ctx.db, this.job.id, { output_synced_at: new Date() });
    return manifest;
  }

  /** Puts the output a lost attempt synced back in place, so the command can resume from its checkpoints. */
  private async restoreOutput(machine: JobMachine, outputRoot: string): Promise<void> {
    const manifest = await readJobOutputManifest(this.store, this.job.id);
    if (!manifest || manifest.entries.length === 0) {
      this.note('no output was synced before the host was lost; the command starts from the beginning');
      return;
    }
    await this.ctx.report(STEP.fetching, 'restoring the synced output');
    const report = await withStorageLease(
      this.ctx.db,
      { mode: 'shared', holder: `job ${this.ref}`, ...(this.ctx.shutdown && { signal: this.ctx.shutdown }) },
      async () => {
        const session = await SshSession.open(machine.target);
        try {
          return await restoreWorkspace({ session, store: this.store, root: outputRoot, manifest });
        } finally {
          session.close();
        }
      },
    );
    if (report.mismatchCount > 0) {
      throw new GpuopsError(
        ErrorCode.SnapshotMismatch,
        `The output ${this.ref} synced could not be restored exactly onto ${instanceRef(machine.row.id)}: ${report.mismatches.slice(0, 3).join('; ')}.`,
      );
    }
    this.syncedManifest = manifest;
    const synced = this.job.output_synced_at
      ? ` from the sync at ${this.job.output_synced_at.toISOString()}`
      : '';
    this.note(
      `restored ${report.files} files (${formatBytes(report.bytes)}) of output${synced} into $GPUOPS_OUTPUT`,
    );
  }

  /** Leaves a lost machine behind (released) and makes the next attempt the job's current one. */
  private async moveOn(machine: JobMachine | undefined, attempt: number, why: string): Promise<void> {
    const row =
      machine?.row ??
      (this.job.instance_id ? await getInstance(this.ctx.db, this.job.instance_id) : undefined);
    const cost = this.costSoFar(row);
    this.note(
      `host lost: ${why}; moving to another machine (attempt ${attempt + 1} of ${this.spec.retries + 1})`,
    );
    await this.flushLog(jobOffsets(this.job).remoteOffset);
    await releaseJobMachine(this.ctx, this.ctx.operation.id, attempt, row);
    this.job = await updateJob(this.ctx.db, this.job.id, {
      attempt: attempt + 1,
      cost,
      attempt_started_at: null,
      instance_id: null,
      run_id: null,
      remote_offset: 0,
    });
  }

  /** The machine of a job taken over mid-ending, when it still runs and answers; else undefined. */
  private async machineLeft(): Promise<JobMachine | undefined> {
    const row = this.job.instance_id ? await getInstance(this.ctx.db, this.job.instance_id) : undefined;
    const live = row?.state === 'running' ? await withLiveSsh(this.ctx, row) : undefined;
    if (!live) return undefined;
    this.ctx.setInstance(live.id);
    return { row: live, target: this.sshTarget(live), rented: this.spec.target.kind === 'rent' };
  }

  /** Keeps the output, releases a rented machine and writes the job's end. */
  private async finish(machine: JobMachine | undefined, outcome: RunOutcome): Promise<OperationResult> {
    const { ctx } = this;
    const end = endOf(outcome);
    if (!this.job.ending)
      this.job = await updateJob(ctx.db, this.job.id, { ending: JSON.stringify(outcome) });
    const current =
      machine?.row ?? (this.job.instance_id ? await getInstance(ctx.db, this.job.instance_id) : undefined);
    const cost = this.costSoFar(current);
    await ctx.report(STEP.keeping, 'keeping what the output folder holds');
    let manifest = this.syncedManifest ?? (await readJobOutputManifest(this.store, this.job.id));
    if (machine && outcome.kind !== 'lost') {
      try {
        const { outputRoot } = await this.folders(machine);
        manifest = await this.syncOutput(machine, outputRoot);
      } catch (err) {
        if (ctx.shutdown?.aborted) throw err;
        this.note(
          `the output folder could not be read at the end (${asGpuopsError(err).message}); the last sync is kept`,
        );
      }
    }
    const artifacts = manifest ? artifactsOf(manifest) : [];
    let released = '';
    if (this.spec.target.kind === 'rent' && (machine || this.job.instance_id)) {
      await ctx.report(STEP.releasing, 'releasing the machine');
      released = await releaseJobMachine(ctx, ctx.operation.id, this.job.attempt, current);
    }
    const message = this.endMessage(end, outcome, artifacts, cost, released);
    this.note(message.split('\n')[0]!);
    await this.log
      .flush()
      .catch((err: unknown) => ctx.log.warn({ err, job: this.ref }, 'could not store the last of the log'));
    const exitCode = outcome.kind === 'exited' ? outcome.code : null;
    const ended =
      (await finishJob(ctx.db, this.job.id, {
        state: end,
        exit_code: exitCode,
        signal: outcome.kind === 'exited' ? (outcome.signal ?? null) : null,
        end_message: message,
        cost,
        attempt_started_at: null,
        artifacts: JSON.stringify(artifacts),
        log_bytes: this.log.storedBytes,
        log_tail: this.tail.text(),
      })) ?? (await getJob(ctx.db, this.job.id))!;
    this.job = ended;
    return this.recordedEnd();
  }

  /** The end recorded in the row, as the operation's result or its error. */
  private recordedEnd(): OperationResult {
    const job = this.job;
    const instance = job.instance_id === null ? this.ref : instanceRef(job.instance_id);
    if (job.state === 'succeeded') {
      return {
        instance,
        job: this.ref,
        state: job.state,
        summary: job.end_message ?? `${this.ref} succeeded.`,
      };
    }
    const end = job.state as Exclude<JobEnd, 'succeeded'>;
    throw new GpuopsError(
      JOB_END_CODES[end] ?? ErrorCode.JobFailed,
      job.end_message ?? `${this.ref} ended: ${job.state}.`,
      {
        details: { job: this.ref, state: job.state, exit_code: job.exit_code },
      },
    );
  }

  private endMessage(
    end: JobEnd,
    outcome: RunOutcome,
    artifacts: JobArtifact[],
    cost: number,
    released: string,
  ): string {
    const took = `${formatElapsed(this.elapsedMs())}, ${formatUsd(cost)}`;
    const head = {
      succeeded: `${this.ref} succeeded (${took}).`,
      failed:
        outcome.kind === 'exited'
          ? `${this.ref} failed: ${outcome.phase === 'inputs' ? 'fetching its inputs' : 'its command'} ended with ${outcome.signal ? `signal ${outcome.signal}` : `exit status ${outcome.code}`} (${took}).`
          : `${this.ref} failed (${took}).`,
      timed_out: `${this.ref} reached its time limit of ${formatElapsed(this.limits.maxMs ?? 0)} and was stopped (${took}).`,
      over_budget: `${this.ref} reached its money limit of ${formatUsd(this.limits.maxCost ?? 0)} and was stopped (${took}).`,
      cancelled: `${this.ref} was cancelled by ${this.job.cancel_requested_by ?? 'someone'} (${took}).`,
      lost: `${this.ref} lost its machine: ${outcome.kind === 'lost' ? outcome.why : 'it is gone'}${this.spec.retries > 0 ? ` and no retry is left (${this.spec.retries} used)` : `; say "rerun ${this.ref}" to run it again, or ask with retries`} (${took}).`,
    }[end];
    const kept =
      artifacts.length === 0
        ? 'Its output folder was empty; nothing was kept.'
        : `Kept ${artifacts.length} artifact${artifacts.length === 1 ? '' : 's'} (${formatBytes(artifacts.reduce((sum, a) => sum + a.bytes, 0))}): ${artifacts
            .slice(0, 6)
            .map((a) => `${a.path} ${formatBytes(a.bytes)}`)
            .join(
              ', ',
            )}${artifacts.length > 6 ? `, and ${artifacts.length - 6} more` : ''}; \`gpuops jobs artifacts ${this.ref} --out DIR\` downloads them.`;
    const lastLines = end === 'succeeded' ? [] : this.tail.lines().slice(-8);
    return [head, kept, released, lastLines.length > 0 ? `Last lines:\n${lastLines.join('\n')}` : '']
      .filter(Boolean)
      .join('\n');
  }

  private checkShutdown(): void {
    if (this.ctx.shutdown?.aborted) {
      throw new GpuopsError(
        ErrorCode.Cancelled,
        'The worker is shutting down; another worker carries the job on.',
        {
          retryable: true,
        },
      );
    }
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, this.ctx.shutdown ? { signal: this.ctx.shutdown } : undefined);
    } catch {
      this.checkShutdown();
    }
  }
}

function endOf(outcome: RunOutcome): JobEnd {
  switch (outcome.kind) {
    case 'exited':
      return outcome.code === 0 && !outcome.signal ? 'succeeded' : 'failed';
    case 'stopped':
      return outcome.end;
    case 'lost':
      return 'lost';
  }
}

/** A folder on the machine (relative: to where SSH sessions start), made if missing, as an absolute path. */
async function resolveOnMachine(target: SshTarget, folder: string): Promise<string> {
  const result = await sshExec(
    target,
    `mkdir -p -- ${shellQuote(folder)} && cd -- ${shellQuote(folder)} && pwd -P`,
  );
  const resolved = result.stdout.trim();
  if (result.code !== 0 || !resolved.startsWith('/')) {
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `Could not find the workspace folder ${folder} on the machine (${result.stderr.trim() || `exit ${result.code}`}).`,
      { retryable: true },
    );
  }
  return resolved;
}

/** An ending written by an earlier worker, read back through its shape; one that does not read is none. */
const endingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('exited'),
    code: z.number().int(),
    signal: z.string().optional(),
    phase: z.enum(['inputs', 'command']),
  }),
  z.object({ kind: z.literal('stopped'), end: z.enum(['cancelled', 'timed_out', 'over_budget']) }),
  z.object({ kind: z.literal('lost'), why: z.string() }),
]);

function readEnding(stored: unknown): RunOutcome | undefined {
  const parsed = endingSchema.safeParse(stored);
  if (!parsed.success) return undefined;
  const { data } = parsed;
  if (data.kind === 'exited') {
    return {
      kind: 'exited',
      code: data.code,
      phase: data.phase,
      ...(data.signal && { signal: data.signal }),
    };
  }
  return data;
}
