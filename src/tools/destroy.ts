import type { InstanceRow } from '../../db/schema.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice } from '../format/text.ts';
import { loadCurrentInstance } from './instance-access.ts';
import { assertNotBusy } from './instance-busy.ts';
import { destroySchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

/** A destroy replaces a pause or resume that has not started yet: the user wants the machine gone. */
const SUPERSEDES = ['pause', 'resume'] as const;

/** The instance, if it is this channel's, not destroyed already and not busy (checked before asking and again before acting). */
async function loadDestroyable(
  services: ToolServices,
  ref: string,
  ctx: RequestContext,
): Promise<InstanceRow> {
  const row = await loadCurrentInstance(services, ref, ctx);
  if (row.state === 'destroyed') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${instanceRef(row.id)} is already destroyed; nothing bills.`,
    );
  }
  await assertNotBusy(services.db, row, SUPERSEDES);
  return row;
}

export const destroyTool = defineTool({
  name: 'destroy',
  description:
    'Destroy an instance for good: the machine is released and its disk deleted. Asks for confirmation.',
  schema: destroySchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const row = await loadDestroyable(services, args.instance, ctx);
    return `Destroy ${instanceRef(row.id)} (${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}, ${row.state})? Its disk and everything on it will be deleted; this cannot be undone.`;
  },
  async run(args, ctx, services) {
    const row = await loadDestroyable(services, args.instance, ctx);
    const job = await services.operations.enqueue({
      kind: 'destroy',
      args,
      context: ctx,
      instanceId: row.id,
      supersedes: SUPERSEDES,
    });
    return {
      text: `Destroying ${instanceRef(row.id)}. Operation ${job.operationId}.`,
      data: { operation: job.operationId, instance: instanceRef(row.id) },
      job,
    };
  },
});
