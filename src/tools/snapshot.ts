import { instanceRef } from '../domain/instance-ref.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { loadCurrentInstance } from './instance-access.ts';
import { assertNotBusy } from './instance-busy.ts';
import { snapshotSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const snapshotTool = defineTool({
  name: 'snapshot',
  description:
    "Back up a running instance's workspace into snapshot storage (only what changed since its last snapshot is uploaded), optionally named.",
  schema: snapshotSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await loadCurrentInstance(services, args.instance, ctx);
    await assertNotBusy(services.db, row);
    if (row.state !== 'running') {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${instanceRef(row.id)} is ${row.state}; its workspace can be snapshotted only while it runs.`,
      );
    }
    const job = await services.operations.enqueue({
      kind: 'snapshot',
      args,
      context: ctx,
      instanceId: row.id,
    });
    return {
      text: `Snapshotting ${instanceRef(row.id)}${args.name ? ` as "${args.name}"` : ''}. Operation ${job.operationId}.`,
      data: { operation: job.operationId, instance: instanceRef(row.id) },
      job,
    };
  },
});
