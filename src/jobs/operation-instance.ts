import { getInstance } from '../../db/repositories/instances.ts';
import type { InstanceRow } from '../../db/schema.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import type { JobContext } from './job-context.ts';

/** The instance an operation is about, made known to its watchers; an error when it no longer exists. */
export async function loadOperationInstance(ctx: JobContext): Promise<InstanceRow> {
  const id = ctx.operation.instance_id;
  const row = id === null ? undefined : await getInstance(ctx.db, id);
  if (!row) {
    throw new GpuopsError(
      ErrorCode.InstanceNotFound,
      `The instance of operation ${ctx.operation.id} no longer exists.`,
    );
  }
  ctx.setInstance(row.id);
  return row;
}
