import type { Kysely } from 'kysely';
import { recordAudit } from '../../db/repositories/audit.ts';
import {
  getJobByOperation,
  jobInChannel,
  jobSpecOf,
  listJobs,
  requestJobCancel,
} from '../../db/repositories/jobs.ts';
import type { Database, JobRow } from '../../db/schema.ts';
import { inertJson, terminalSafe } from '../bots/terminal/terminal-text.ts';
import type { ObjectStore } from '../cloud/storage/object-store.ts';
import type { Config } from '../config.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import {
  exitStatusOfJobEnd,
  isJobEnd,
  type JobArtifact,
  type JobState,
  jobRef,
  parseJobRef,
} from '../domain/jobs.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../errors.ts';
import { formatBytes, formatDuration, formatUsd, renderTable } from '../format/text.ts';
import { describeLimits } from '../tools/job-plan.ts';
import {
  describeJobMachine,
  type JobView,
  jobCostSoFar,
  jobElapsedMs,
  jobMachineCell,
  viewJob,
} from '../tools/job-view.ts';

/**
 * `gpuops jobs`: a channel's jobs from the command line, read from the database and the object
 * store the workers keep logs and artifacts in. Each command writes to the streams it is given and
 * returns its exit status, so tests run it in-process; errors are printed, never thrown.
 */

export interface JobsCommandServices {
  db: Kysely<Database>;
  /** The store jobs' logs and artifacts are in, opened on first use (listing a job needs none). */
  store(): Promise<ObjectStore>;
}

export interface CommandStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface JobsCommandOptions {
  /** The channel the jobs belong to (the terminal's by default, as for `gpuops ask`). */
  channel: string;
  json?: boolean;
}

/**
 * The database and the object store as the runtime opens them: the configured PostgreSQL (or the
 * embedded one in the data folder) and the workers' snapshot storage, which keeps jobs' logs and
 * artifacts too.
 */
export async function openJobsServices(
  config: Config,
): Promise<JobsCommandServices & { close(): Promise<void> }> {
  const [{ openDatabase }, { snapshotStorage }, { createLogger }] = await Promise.all([
    import('../../db/database.ts'),
    import('../runtime.ts'),
    import('../log.ts'),
  ]);
  const log = createLogger({ logLevel: config.logLevel, logFile: config.logFile });
  const database = await openDatabase({
    ...(config.databaseUrl && { databaseUrl: config.databaseUrl }),
    dataDir: config.dataDir,
    logger: log,
  });
  const storage = snapshotStorage(config, config.vast.baseUrl === undefined);
  return {
    db: database.db,
    store: () => storage.services.store(),
    async close() {
      await storage.close();
      await database.close();
    },
  };
}

/**
 * Opens the services (config → database and store), runs `command` on them and closes them: a
 * configuration or database that cannot be opened is printed as every other error is.
 */
export async function withJobsServices(
  loadConfig: () => Promise<Config>,
  streams: CommandStreams,
  json: boolean | undefined,
  command: (services: JobsCommandServices) => Promise<number>,
): Promise<number> {
  let services: Awaited<ReturnType<typeof openJobsServices>>;
  try {
    services = await openJobsServices(await loadConfig());
  } catch (err) {
    return printError(streams, json, err);
  }
  try {
    return await command(services);
  } finally {
    await services.close();
  }
}

/** Runs one jobs command: its error, whatever it is, printed as the CLI prints errors. */
async function run(
  streams: CommandStreams,
  json: boolean | undefined,
  command: () => Promise<void>,
): Promise<number> {
  try {
    await command();
    return 0;
  } catch (err) {
    return printError(streams, json, err);
  }
}

/** `gpuops: error <code>: <message>` on stderr (and as JSON on stdout with --json); the exit status. */
function printError(streams: CommandStreams, json: boolean | undefined, err: unknown): number {
  const error = asGpuopsError(err);
  streams.err.write(`gpuops: error ${error.code}: ${terminalSafe(error.message)}\n`);
  // Scripts reading --json get the error in the same shape as every other command's.
  if (json) writeJson(streams.out, { error: { code: error.code, message: error.message } });
  return error.code === ErrorCode.ConfigInvalid ? 2 : 1;
}

function writeJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${inertJson(JSON.stringify(value))}\n`);
}

/** How many jobs `list` shows without --all, as "list my jobs" does in chat. */
const LIST_LIMIT = 20;

/**
 * Your jobs in the channel, newest first (the 20 newest, as "list my jobs" in chat); with `all`,
 * every job of the channel, whoever started it.
 */
export function jobsList(
  services: JobsCommandServices,
  streams: CommandStreams,
  options: JobsCommandOptions & { user: string; all?: boolean },
  now = Date.now(),
): Promise<number> {
  return run(streams, options.json, async () => {
    const rows = await listJobs(services.db, {
      channel: options.channel,
      ...(options.all ? { limit: Number.MAX_SAFE_INTEGER } : { owner: options.user, limit: LIST_LIMIT }),
    });
    const views = await Promise.all(rows.map((row) => viewJob(services.db, row)));
    if (options.json) {
      for (const view of views) writeJson(streams.out, jobJson(view, now));
      return;
    }
    if (rows.length === 0) {
      streams.err.write(
        options.all
          ? `No jobs in ${terminalSafe(options.channel)} yet.\n`
          : `${terminalSafe(options.user)} has no jobs in ${terminalSafe(options.channel)}; --all lists everyone's.\n`,
      );
      return;
    }
    const table = renderTable(
      ['job', 'state', 'machine', 'ran', 'cost', ...(options.all ? ['owner'] : []), 'command'],
      views.map((view) => [
        jobRef(view.row.id),
        view.row.state,
        jobMachineCell(view),
        formatDuration(jobElapsedMs(view.row, now)),
        formatUsd(jobCostSoFar(view, now)),
        ...(options.all ? [view.row.owner] : []),
        oneLine(view.spec.command, 60),
      ]),
    );
    streams.out.write(`${terminalSafe(table)}\n`);
    if (!options.all && rows.length === LIST_LIMIT) {
      streams.err.write(`The ${LIST_LIMIT} newest; --all lists every job of the channel.\n`);
    }
  });
}

/** One job: what it runs, where, how it stands or ended, its cost, log and artifacts. */
export function jobsStatus(
  services: JobsCommandServices,
  streams: CommandStreams,
  ref: string,
  options: JobsCommandOptions,
  now = Date.now(),
): Promise<number> {
  return run(streams, options.json, async () => {
    const row = await jobInChannel(services.db, parseJobRef(ref), options.channel);
    const view = await viewJob(services.db, row);
    if (options.json) {
      writeJson(streams.out, jobJson(view, now));
      return;
    }
    streams.out.write(`${terminalSafe(renderStatus(view, now))}\n`);
  });
}

/** The job's whole log, as its command wrote it, byte for byte on `out`. */
export function jobsLogs(
  services: JobsCommandServices,
  streams: CommandStreams,
  ref: string,
  options: Omit<JobsCommandOptions, 'json'>,
): Promise<number> {
  return run(streams, false, async () => {
    const row = await jobInChannel(services.db, parseJobRef(ref), options.channel);
    const { readJobLog } = await import('../cloud/jobs/job-log.ts');
    const { bytes } = await readJobLog(await services.store(), row.id, streams.out);
    if (bytes === 0) {
      streams.err.write(
        isJobEnd(row.state)
          ? `${jobRef(row.id)} ${row.state} without writing any output.\n`
          : `${jobRef(row.id)} has no log yet (${row.state}): its command's output is kept as it runs.\n`,
      );
    }
  });
}

/**
 * Downloads what the job kept into `outDir`, each file checked against its size and SHA-256
 * before it is put in place; prints each file and the total. A job that kept nothing says so.
 */
export function jobsArtifacts(
  services: JobsCommandServices,
  streams: CommandStreams,
  ref: string,
  options: Omit<JobsCommandOptions, 'json'> & { out: string; only?: readonly string[] },
): Promise<number> {
  return run(streams, false, async () => {
    const row = await jobInChannel(services.db, parseJobRef(ref), options.channel);
    const { artifactsOf, downloadArtifacts, readJobOutputManifest } = await import(
      '../cloud/jobs/job-artifacts.ts'
    );
    const store = await services.store();
    const manifest = await readJobOutputManifest(store, row.id);
    const kept = manifest ? artifactsOf(manifest) : [];
    if (kept.length === 0) {
      streams.err.write(
        isJobEnd(row.state)
          ? `${jobRef(row.id)} kept no artifacts: its command left nothing in its output folder.\n`
          : `${jobRef(row.id)} has no artifacts yet (${row.state}): its output folder is kept as it runs and at its end.\n`,
      );
      return;
    }
    const only = options.only && options.only.length > 0 ? options.only : undefined;
    const wanted = only
      ? kept.filter((artifact) => only.some((path) => isAtOrUnder(artifact.path, path)))
      : kept;
    if (wanted.length === 0) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `${jobRef(row.id)} kept nothing at ${only!.join(', ')}; \`gpuops jobs status ${jobRef(row.id)}\` lists what it kept.`,
      );
    }
    const result = await downloadArtifacts(store, row.id, options.out, { ...(only && { only }) });
    streams.out.write(`${terminalSafe(renderArtifacts(wanted, result, options.out))}\n`);
  });
}

/** `--only` names a file, or a folder for everything under it (`./` and a trailing `/` allowed). */
function isAtOrUnder(file: string, only: string): boolean {
  const prefix = only
    .trim()
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '');
  return prefix === '' || file === prefix || file.startsWith(`${prefix}/`);
}

/** Asks the job to stop; its worker stops the command, keeps what it made and releases the machine. */
export function jobsCancel(
  services: JobsCommandServices,
  streams: CommandStreams,
  ref: string,
  options: Omit<JobsCommandOptions, 'json'> & { user: string },
): Promise<number> {
  return run(streams, false, async () => {
    const row = await jobInChannel(services.db, parseJobRef(ref), options.channel);
    const ended = (state: string) =>
      new GpuopsError(
        ErrorCode.InvalidState,
        `${jobRef(row.id)} has already ended (${state}); there is nothing to cancel.`,
      );
    if (isJobEnd(row.state)) throw ended(row.state);
    const asked = await requestJobCancel(services.db, row.id, options.user);
    if (!asked) throw ended((await jobInChannel(services.db, row.id, options.channel)).state);
    await recordAudit(services.db, {
      actor: options.user,
      action: 'cancel_job',
      target: jobRef(row.id),
      channel: options.channel,
      outcome: 'requested',
      price_per_hour: null,
      details: JSON.stringify({ state: asked.state, via: 'cli' }),
    });
    const target = jobSpecOf(asked).target;
    const machine =
      target.kind === 'rent'
        ? 'its rented machine is destroyed within a few seconds'
        : `${instanceRef(target.instance_id)} is left running`;
    streams.out.write(
      `Asked ${jobRef(row.id)} to stop: its command is stopped, what it left in $GPUOPS_OUTPUT so far is kept, and ${machine}. \`gpuops jobs status ${jobRef(row.id)}\` shows it end.\n`,
    );
  });
}

// -------------------------------------------------------------------------------------------------
// `gpuops ask`: exit statuses that follow a job's end.

/** What `ask` knows of one operation it followed to its end, and of its job when it ran one. */
export interface FollowedOutcome {
  succeeded: boolean;
  job?: Pick<JobRow, 'state' | 'exit_code'> | undefined;
}

/**
 * `gpuops ask`'s exit status: the first operation that did not succeed gives it, a job by its end
 * (exitStatusOfJobEnd: the command's own status, 124 for a time limit, 125 for money, 130 for a
 * cancel, 69 for a lost host), any other operation 1; with every operation done, 1 when the
 * request itself was not (an error, something declined), else 0.
 */
export function askExitStatus(outcomes: readonly FollowedOutcome[], requestOk: boolean): number {
  for (const outcome of outcomes) {
    const status =
      outcome.job && isJobEnd(outcome.job.state)
        ? exitStatusOfJobEnd(outcome.job.state, outcome.job.exit_code)
        : outcome.succeeded
          ? 0
          : 1;
    if (status !== 0) return status;
  }
  return requestOk ? 0 : 1;
}

/** The job a run_job operation ran, looked up for `ask`'s exit status and --json result lines. */
export async function jobOfOperation(
  db: Kysely<Database>,
  final: { kind: string; operationId: string },
): Promise<JobRow | undefined> {
  return final.kind === 'run_job' ? getJobByOperation(db, final.operationId) : undefined;
}

/** What a --json result line of a run_job operation adds: the job, how it ended, its command's status. */
export function jobResultFields(row: JobRow): { job: string; job_state: JobState; exit_code: number | null } {
  return { job: jobRef(row.id), job_state: row.state, exit_code: row.exit_code };
}

// -------------------------------------------------------------------------------------------------
// Rendering.

/** A job as --json prints it: what a script needs, in the names the chat tools use. */
export function jobJson(view: JobView, now = Date.now()): Record<string, unknown> {
  const { row, spec, machine } = view;
  return {
    job: jobRef(row.id),
    state: row.state,
    owner: row.owner,
    channel: row.channel,
    command: spec.command,
    ...(spec.repo && { repo: spec.repo }),
    inputs: spec.inputs,
    target: spec.target,
    limits: spec.limits,
    retries: spec.retries,
    output_dir: spec.output_dir,
    ...(spec.template && { template: spec.template }),
    ...(row.rerun_of !== null && { rerun_of: jobRef(row.rerun_of) }),
    attempt: row.attempt,
    instance: machine ? instanceRef(machine.id) : null,
    price_per_hour: machine?.price_per_hour ?? null,
    instances: (row.instance_ids ?? []).map(instanceRef),
    elapsed_seconds: Math.round(jobElapsedMs(row, now) / 1000),
    /** So far, while it runs; in the end, what it cost. */
    cost: Math.round(jobCostSoFar(view, now) * 1000) / 1000,
    exit_code: row.exit_code,
    signal: row.signal,
    end_message: row.end_message,
    log_bytes: Number(row.log_bytes),
    artifacts: row.artifacts ?? [],
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    cancel_requested_at: iso(row.cancel_requested_at),
    cancel_requested_by: row.cancel_requested_by,
    operation: row.operation_id,
  };
}

function iso(date: Date | null): string | null {
  return date === null ? null : new Date(date).toISOString();
}

/** The chat's job_status, laid out for a terminal, with the log's size and the last lines. */
function renderStatus(view: JobView, now: number): string {
  const { row, spec } = view;
  const ref = jobRef(row.id);
  const ended = isJobEnd(row.state);
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${`${name}:`.padEnd(11)}${value}`);
  const cancelling =
    !ended && row.cancel_requested_at ? ` (cancel asked by ${row.cancel_requested_by ?? 'someone'})` : '';
  lines.push(`${ref} · ${row.state}${cancelling}`);
  field('command', oneLine(spec.command, 500));
  if (spec.repo) field('repo', `${spec.repo.url}${spec.repo.ref ? `@${spec.repo.ref}` : ''}`);
  for (const input of spec.inputs) field('input', `${input.source} → ${input.path}`);
  field(
    'machine',
    `${describeJobMachine(view)}${spec.target.kind === 'rent' ? ', rented for the job' : ', left running after'}`,
  );
  field('limits', describeLimits(spec.limits));
  field(
    'attempt',
    `${Math.max(1, row.attempt)} of ${spec.retries + 1}${spec.retries > 0 ? ' (moves to another machine if its host is lost)' : ''}`,
  );
  field(
    'owner',
    `${row.owner} in ${row.channel}${row.rerun_of !== null ? `, a rerun of ${jobRef(row.rerun_of)}` : ''}`,
  );
  field('created', row.created_at.toISOString());
  field(ended ? 'ran' : 'elapsed', formatDuration(jobElapsedMs(row, now)));
  field('cost', `${formatUsd(jobCostSoFar(view, now))}${ended ? '' : ' so far'}`);
  if (ended) {
    const status = row.signal
      ? `signal ${row.signal}`
      : row.exit_code === null
        ? 'none'
        : String(row.exit_code);
    field('exit', status);
  }
  if (row.end_message) {
    const [first = '', ...more] = row.end_message.split('\n');
    field('end', first);
    for (const line of more) lines.push(`  ${line}`);
  }
  const logBytes = Number(row.log_bytes);
  field('log', logBytes > 0 ? `${formatBytes(logBytes)} (gpuops jobs logs ${ref})` : 'none yet');
  const artifacts = row.artifacts ?? [];
  if (artifacts.length > 0) {
    const total = artifacts.reduce((sum, a) => sum + a.bytes, 0);
    field(
      'artifacts',
      `${artifacts.length} file${artifacts.length === 1 ? '' : 's'}, ${formatBytes(total)} (gpuops jobs artifacts ${ref} --out DIR)`,
    );
    for (const artifact of artifacts) lines.push(`  ${artifact.path}  ${formatBytes(artifact.bytes)}`);
  }
  // The end message of a job that did not succeed ends with its last lines already.
  const tail = row.log_tail.replace(/\n+$/, '');
  if (tail.trim() !== '' && !(row.end_message ?? '').includes(tail)) {
    lines.push('last lines:');
    for (const line of tail.split('\n')) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}

function renderArtifacts(
  listed: readonly JobArtifact[],
  result: { files: number; bytes: number },
  outDir: string,
): string {
  const rows = listed.map((a) => [a.path, formatBytes(a.bytes)]);
  const lines = rows.length > 0 ? [renderTable(['file', 'size'], rows)] : [];
  lines.push(
    `${result.files} file${result.files === 1 ? '' : 's'}, ${formatBytes(result.bytes)} in ${outDir}, each checked against its SHA-256.`,
  );
  return lines.join('\n');
}

/** A command on one line of at most `max` characters: newlines shown as ⏎. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/\r?\n/g, ' ⏎ ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
