import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import {
  isJobEnd,
  JOB_ENDS,
  type JobEnd,
  type JobSpec,
  type JobState,
  jobRef,
  jobSpecSchema,
} from '../../src/domain/jobs.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import type { Database, JobRow, JobUpdate } from '../schema.ts';

/** Jobs (`j-<id>`): one row per job, its spec fixed, its progress and end written as it runs. */

export async function createJob(
  db: Kysely<Database>,
  values: { owner: string; channel: string; spec: JobSpec; rerunOf?: number },
): Promise<JobRow> {
  return db
    .insertInto('jobs')
    .values({
      owner: values.owner,
      channel: values.channel,
      spec: JSON.stringify(jobSpecSchema.parse(values.spec)),
      rerun_of: values.rerunOf ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getJob(db: Kysely<Database>, id: number): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getJobByOperation(
  db: Kysely<Database>,
  operationId: string,
): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('operation_id', '=', operationId).executeTakeFirst();
}

/**
 * The job `ref` names, when it belongs to this channel; a job_not_found error otherwise (another
 * channel's job is not told apart from a missing one).
 */
export async function jobInChannel(db: Kysely<Database>, id: number, channel: string): Promise<JobRow> {
  const row = await getJob(db, id);
  if (!row || row.channel !== channel) {
    throw new GpuopsError(
      ErrorCode.JobNotFound,
      `There is no job ${jobRef(id)} in this channel; say "list my jobs" to see them.`,
    );
  }
  return row;
}

export async function listJobs(
  db: Kysely<Database>,
  filter: { channel: string; owner?: string; states?: readonly JobState[]; limit?: number },
): Promise<JobRow[]> {
  let query = db.selectFrom('jobs').selectAll().where('channel', '=', filter.channel);
  if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
  if (filter.states && filter.states.length > 0) query = query.where('state', 'in', filter.states);
  return query
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 20)
    .execute();
}

/** Jobs that have not ended, every channel's: what workers and the reconciler look after. */
export async function listOpenJobs(db: Kysely<Database>): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('state', 'not in', JOB_ENDS).orderBy('id').execute();
}

export async function setJobOperation(
  db: Kysely<Database>,
  id: number,
  operationId: string,
): Promise<JobRow> {
  return updateJob(db, id, { operation_id: operationId });
}

/** Writes to a job that has not ended; an ended job is returned as it is, unchanged. */
export async function updateJob(db: Kysely<Database>, id: number, update: JobUpdate): Promise<JobRow> {
  const row = await db
    .updateTable('jobs')
    .set({ ...update, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('state', 'not in', JOB_ENDS)
    .returningAll()
    .executeTakeFirst();
  if (row) return row;
  const current = await getJob(db, id);
  if (!current) throw new GpuopsError(ErrorCode.JobNotFound, `Job ${jobRef(id)} is not in the database.`);
  return current;
}

/**
 * Asks a job to stop: its worker sees it on its next look and stops the command, keeps what it
 * made and releases the machine. Returns undefined for a job that has ended already.
 */
export async function requestJobCancel(
  db: Kysely<Database>,
  id: number,
  by: string,
): Promise<JobRow | undefined> {
  return db
    .updateTable('jobs')
    .set({
      cancel_requested_at: sql`coalesce(cancel_requested_at, now())`,
      cancel_requested_by: sql`coalesce(cancel_requested_by, ${by})`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('state', 'not in', JOB_ENDS)
    .returningAll()
    .executeTakeFirst();
}

/** Ends a job once: returns the ended row, or undefined when it had ended already. */
export async function finishJob(
  db: Kysely<Database>,
  id: number,
  end: { state: JobEnd } & Omit<JobUpdate, 'state' | 'finished_at'>,
): Promise<JobRow | undefined> {
  return db
    .updateTable('jobs')
    .set({ ...end, finished_at: sql`now()`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('state', 'not in', JOB_ENDS)
    .returningAll()
    .executeTakeFirst();
}

/** The job's spec, read through its schema; gpuops wrote it, so one that does not fit is an internal fault. */
export function jobSpecOf(row: JobRow): JobSpec {
  const parsed = jobSpecSchema.safeParse(row.spec);
  if (parsed.success) return parsed.data;
  throw new GpuopsError(
    ErrorCode.Internal,
    `Job ${jobRef(row.id)}'s stored spec does not read as one (${parsed.error.issues[0]?.message ?? 'unreadable'}).`,
  );
}

export function jobHasEnded(row: Pick<JobRow, 'state'>): boolean {
  return isJobEnd(row.state);
}

/** The byte counts Postgres returns as text (bigint), as numbers. */
export function jobOffsets(row: Pick<JobRow, 'remote_offset' | 'log_bytes'>): {
  remoteOffset: number;
  logBytes: number;
} {
  return { remoteOffset: Number(row.remote_offset), logBytes: Number(row.log_bytes) };
}
