import type { Kysely } from 'kysely';
import { getInstance } from '../../db/repositories/instances.ts';
import { jobInChannel, jobSpecOf } from '../../db/repositories/jobs.ts';
import type { Database, InstanceRow, JobRow } from '../../db/schema.ts';
import { gpuById } from '../cloud/gpu-catalog.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { isJobEnd, type JobSpec, parseJobRef } from '../domain/jobs.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { formatPrice } from '../format/text.ts';

/**
 * How the job tools that read a job find it and show it: jobs belong to the channel they were
 * started in, as instances do, and anyone in that channel may look at, cancel or rerun one.
 */

/** The channel's job `ref` names; bad_input for a malformed id, job_not_found for another channel's. */
export async function loadChannelJob(
  db: Kysely<Database>,
  ref: string,
  ctx: RequestContext,
): Promise<JobRow> {
  return jobInChannel(db, parseJobRef(ref), ctx.channel);
}

/** A job with what it runs and the machine it is on now, if any. */
export interface JobView {
  row: JobRow;
  spec: JobSpec;
  /** The instance of the current attempt (or the last one, once ended). */
  machine: InstanceRow | undefined;
}

export async function viewJob(db: Kysely<Database>, row: JobRow): Promise<JobView> {
  const machine = row.instance_id === null ? undefined : await getInstance(db, row.instance_id);
  return { row, spec: jobSpecOf(row), machine };
}

/**
 * What the job has cost so far: the attempts that ended, and the current machine's price since the
 * attempt began billing, as the job's own handler counts it.
 */
export function jobCostSoFar(view: JobView, now = Date.now()): number {
  const { row, machine } = view;
  const since = row.attempt_started_at?.getTime();
  if (isJobEnd(row.state) || since === undefined || !machine) return row.cost;
  return row.cost + (machine.price_per_hour * Math.max(0, now - since)) / 3_600_000;
}

/** Time from when the job started (or was created) to its end, or to now. */
export function jobElapsedMs(row: JobRow, now = Date.now()): number {
  const from = (row.started_at ?? row.created_at).getTime();
  return Math.max(0, (row.finished_at?.getTime() ?? now) - from);
}

/** "i-7 (1x RTX 4090, $0.350/hr)", or before it has one, what it will run on. */
export function describeJobMachine(view: JobView): string {
  const { machine, spec } = view;
  if (machine) {
    return `${instanceRef(machine.id)} (${machine.gpu_count}x ${machine.gpu_name}, ${formatPrice(machine.price_per_hour)})`;
  }
  const target = spec.target;
  if (target.kind === 'instance') return instanceRef(target.instance_id);
  const gpu = gpuById(target.gpu)?.displayName ?? target.gpu;
  return `${target.count}x ${gpu} (${isJobEnd(view.row.state) ? 'never rented' : 'to rent'})`;
}

/** The short form of describeJobMachine, for a table. */
export function jobMachineCell(view: JobView): string {
  const { machine, spec } = view;
  if (machine) return `${instanceRef(machine.id)} ${machine.gpu_count}x ${machine.gpu_name}`;
  const target = spec.target;
  if (target.kind === 'instance') return instanceRef(target.instance_id);
  return `${target.count}x ${gpuById(target.gpu)?.displayName ?? target.gpu}`;
}
