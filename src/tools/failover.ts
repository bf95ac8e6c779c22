import { latestCompleteSnapshot } from '../../db/repositories/snapshots.ts';
import type { InstanceRow, SnapshotRow } from '../../db/schema.ts';
import { type GpuModel, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { checkBudget } from '../cloud/market-query.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatElapsed, formatPrice } from '../format/text.ts';
import { instanceAction } from './instance-action.ts';
import { failoverSchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

const moving = instanceAction({
  // The machine runs, is paused, is dead at the provider, was released, or stands in on its standby.
  from: ['running', 'stopped', 'failed', 'hibernated', 'on_standby'],
  refusal: (ref, state) =>
    state === 'destroyed'
      ? `${ref} is destroyed. Its snapshots are kept: "list snapshots of ${ref}" shows them, and "restore snap-N onto i-…" brings one back on another instance.`
      : `${ref} is ${state}; it can be moved once it is running, paused or failed.`,
});

interface Checked {
  row: InstanceRow;
  gpu: GpuModel | undefined;
  /** The snapshot that will be restored when the machine cannot be snapshotted now. */
  latest: SnapshotRow | undefined;
}

async function check(
  args: { instance: string; gpu?: string | undefined; max_price_per_gpu_hour?: number | undefined },
  ctx: RequestContext,
  services: ToolServices,
): Promise<Checked> {
  const row = await moving.load(services, args.instance, ctx);
  const ref = instanceRef(row.id);
  const gpu = args.gpu === undefined ? undefined : resolveGpuArg(args.gpu);
  checkBudget(args.max_price_per_gpu_hour, row.gpu_count, services.config);
  const latest = await latestCompleteSnapshot(services.db, row.id, -1);
  if (row.state !== 'running' && row.state !== 'on_standby' && !latest) {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${ref} is ${row.state} and has no snapshot, so a new machine would start with an empty workspace. ${row.state === 'stopped' ? `Resume it and say "failover ${ref}" (it is snapshotted first), or` : 'Say'} "deploy a ${row.gpu_name}" for a fresh machine.`,
    );
  }
  return { row, gpu, latest };
}

export const failoverTool = defineTool({
  name: 'failover',
  description:
    'Move an instance to a new machine with its workspace: a fresh snapshot if it still runs (else its latest), the cheapest same or compatible GPU under its price ceiling, restore and verify, then release the old machine. The instance keeps its id. Use for a dead or failing host, or to migrate. Asks for confirmation.',
  schema: failoverSchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const { row, gpu, latest } = await check(args, ctx, services);
    const ref = instanceRef(row.id);
    const data =
      row.state === 'running' || row.state === 'on_standby'
        ? `I'll snapshot its workspace${row.state === 'on_standby' ? ' on its CPU standby' : ''} now`
        : `its workspace cannot be read while it is ${row.state}, so snap-${latest!.id} (taken ${formatElapsed(Date.now() - latest!.created_at.getTime())} ago) will be restored and changes since are lost`;
    const target = gpu
      ? `${row.gpu_count}x ${gpu.displayName}`
      : `${row.gpu_count}x ${row.gpu_name} or a compatible GPU`;
    const ceiling =
      args.max_price_per_gpu_hour === undefined
        ? ''
        : ` under ${formatPrice(args.max_price_per_gpu_hour)} per GPU`;
    return `Move ${ref} (${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}, ${row.state}) to a new machine? ${data.charAt(0).toUpperCase()}${data.slice(1)}, rent the cheapest ${target}${ceiling}, restore and verify every file, then release the old machine. A new machine bills from when it is rented.`;
  },
  async run(args, ctx, services) {
    const { row, gpu } = await check(args, ctx, services);
    return moving.start(services, ctx, row, {
      kind: 'failover',
      args: {
        instance: instanceRef(row.id),
        ...(gpu && { gpu: gpu.id }),
        ...(args.max_price_per_gpu_hour !== undefined && {
          max_price_per_gpu_hour: args.max_price_per_gpu_hour,
        }),
        reason: row.state === 'hibernated' ? 'wake' : row.state === 'on_standby' ? 'failback' : 'requested',
      },
      answer: `Moving ${instanceRef(row.id)} to a new machine.`,
    });
  },
});
