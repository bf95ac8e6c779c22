import { instanceRef } from '../domain/instance-ref.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { loadCurrentInstance } from './instance-access.ts';
import { assertNotBusy } from './instance-busy.ts';
import { pauseSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const pauseTool = defineTool({
  name: 'pause',
  description:
    'Stop a running instance to stop paying for its GPUs (disk is still billed). It may not resume if someone else rents the GPUs meanwhile.',
  schema: pauseSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await loadCurrentInstance(services, args.instance, ctx);
    await assertNotBusy(services.db, row);
    if (row.state !== 'running') {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${instanceRef(row.id)} is ${row.state}, so there is nothing to pause.`,
      );
    }
    const job = await services.operations.enqueue({ kind: 'pause', args, context: ctx, instanceId: row.id });
    return {
      text: `Pausing ${instanceRef(row.id)} (${row.gpu_count}x ${row.gpu_name}). Operation ${job.operationId}.`,
      data: { operation: job.operationId, instance: instanceRef(row.id) },
      job,
    };
  },
});
