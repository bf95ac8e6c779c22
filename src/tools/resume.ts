import { instanceRef } from '../domain/instance-ref.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { loadCurrentInstance } from './instance-access.ts';
import { assertNotBusy } from './instance-busy.ts';
import { resumeSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const resumeTool = defineTool({
  name: 'resume',
  description:
    'Start a paused (stopped) instance again on the same machine, if its GPUs are still free; a hibernated one is woken on the best matching new machine with its workspace restored.',
  schema: resumeSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await loadCurrentInstance(services, args.instance, ctx);
    await assertNotBusy(services.db, row);
    if (row.state === 'hibernated') {
      // Its machine was released: waking restores its snapshot onto the best matching offer.
      const job = await services.operations.enqueue({
        kind: 'failover',
        args: { instance: instanceRef(row.id), reason: 'wake' },
        context: ctx,
        instanceId: row.id,
      });
      return {
        text: `Waking ${instanceRef(row.id)}: its machine was released when it hibernated, so I'm renting the best matching ${row.gpu_count}x ${row.gpu_name} offer and restoring its workspace there. Operation ${job.operationId}.`,
        data: { operation: job.operationId, instance: instanceRef(row.id) },
        job,
      };
    }
    if (row.state !== 'stopped') {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${instanceRef(row.id)} is ${row.state}; only a paused (stopped) instance can be resumed.`,
      );
    }
    const job = await services.operations.enqueue({ kind: 'resume', args, context: ctx, instanceId: row.id });
    return {
      text: `Resuming ${instanceRef(row.id)} (${row.gpu_count}x ${row.gpu_name}). Operation ${job.operationId}.`,
      data: { operation: job.operationId, instance: instanceRef(row.id) },
      job,
    };
  },
});
