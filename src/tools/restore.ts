import { instanceRef } from '../domain/instance-ref.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatBytes } from '../format/text.ts';
import { instanceAction } from './instance-action.ts';
import { restoreSchema } from './schemas.ts';
import { loadOwnedSnapshot } from './snapshot-access.ts';
import { defineTool, type ToolServices } from './tool.ts';

const restoring = instanceAction({
  from: ['running'],
  refusal: (ref, state) => `${ref} is ${state}; a snapshot can be restored only onto a running instance.`,
});

async function check(
  args: { snapshot: string; instance: string },
  ctx: RequestContext,
  services: ToolServices,
) {
  const snapshot = await loadOwnedSnapshot(services.db, args.snapshot, ctx);
  if (snapshot.state !== 'complete') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${args.snapshot} is ${snapshot.state === 'failed' ? 'a failed snapshot' : 'still being taken'}; only a complete one can be restored.`,
    );
  }
  const row = await restoring.load(services, args.instance, ctx);
  // Disk sizes are decimal GB, as the marketplace rents them.
  const bytes = Number(snapshot.bytes ?? 0);
  if (bytes > row.disk_gb * 1e9) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `${args.snapshot} holds ${formatBytes(bytes)}, more than ${instanceRef(row.id)}'s ${row.disk_gb} GB disk; nothing was restored. Restore it onto an instance with a larger disk (deploy one with "disk ${Math.ceil((bytes * 1.2) / 1e9)} GB").`,
    );
  }
  return { snapshot, row };
}

export const restoreTool = defineTool({
  name: 'restore',
  description:
    "Restore a snapshot into a running instance's workspace and verify every file against it (files with the same paths are overwritten).",
  schema: restoreSchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const { snapshot, row } = await check(args, ctx, services);
    return `Restore ${args.snapshot} (${snapshot.files} files from ${instanceRef(snapshot.instance_id)}) onto ${instanceRef(row.id)}? Files in its workspace with the same paths are overwritten.`;
  },
  async run(args, ctx, services) {
    const { row } = await check(args, ctx, services);
    return restoring.start(services, ctx, row, {
      kind: 'restore',
      args,
      answer: `Restoring ${args.snapshot} onto ${instanceRef(row.id)}.`,
      data: { snapshot: args.snapshot },
    });
  },
});
