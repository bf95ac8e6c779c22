import { getInstance, updateInstance } from '../../../db/repositories/instances.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { JobContext } from '../queue/job-context.ts';

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

/**
 * The instance with the SSH address its machine has now, when the provider says it runs: the
 * provider is the truth, and an address can change (a restart, a host that remaps its ports).
 * The record follows. Undefined when the machine does not run.
 */
export async function withLiveSsh(
  ctx: JobContext,
  row: InstanceRow,
): Promise<(InstanceRow & { ssh_host: string; ssh_port: number }) | undefined> {
  if (!row.provider_instance_id) return undefined;
  const live = await ctx.provider.getInstance(row.provider_instance_id);
  if (live?.status !== 'running') return undefined;
  const host = live.sshHost ?? row.ssh_host;
  const port = live.sshPort ?? row.ssh_port;
  if (!host || !port) return undefined;
  const current =
    host === row.ssh_host && port === row.ssh_port
      ? row
      : await updateInstance(ctx.db, row.id, { ssh_host: host, ssh_port: port });
  return current as InstanceRow & { ssh_host: string; ssh_port: number };
}
