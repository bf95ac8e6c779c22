import { getInstance } from '../../db/repositories/instances.ts';
import type { SnapshotRow } from '../../db/schema.ts';
import { type GpuModel, gpuByMarketName, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { checkBudget, offerQuery, sharedFilters } from '../cloud/market-query.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatBytes, formatPrice } from '../format/text.ts';
import { type DeployJobArgs, restoreToNewSchema } from './schemas.ts';
import { loadOwnedSnapshot } from './snapshot-access.ts';
import { defineTool, type ToolServices } from './tool.ts';

/**
 * "restore snap-2 on a 4090": a new instance, deployed as "deploy a 4090" would be, with the
 * snapshot restored onto it and verified before it counts as running. Its disk holds the snapshot
 * with room to spare.
 */

interface Plan {
  snapshot: SnapshotRow;
  gpu: GpuModel;
  jobArgs: DeployJobArgs;
}

async function plan(
  args: {
    snapshot: string;
    gpu?: string | undefined;
    count?: number | undefined;
    max_price_per_gpu_hour?: number | undefined;
    region?: string | undefined;
  },
  ctx: RequestContext,
  services: ToolServices,
): Promise<Plan> {
  const snapshot = await loadOwnedSnapshot(services.db, args.snapshot, ctx);
  if (snapshot.state !== 'complete') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${args.snapshot} is ${snapshot.state === 'failed' ? 'a failed snapshot' : 'still being taken'}; only a complete one can be restored.`,
    );
  }
  const origin = await getInstance(services.db, snapshot.instance_id);
  const gpu = args.gpu ? resolveGpuArg(args.gpu) : origin ? gpuByMarketName(origin.gpu_name) : undefined;
  if (!gpu) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `Which GPU should the new instance have? Say "restore ${args.snapshot} on a 4090", for example.`,
    );
  }
  const count = args.count ?? (args.gpu ? 1 : (origin?.gpu_count ?? 1));
  checkBudget(args.max_price_per_gpu_hour, count, services.config);
  // Decimal GB, as the marketplace rents them, with half again for what the work writes next.
  const needGb = Math.ceil((Number(snapshot.bytes ?? 0) * 1.5) / 1e9);
  const diskGb = Math.max(services.config.defaultDiskGb, origin?.disk_gb ?? 0, needGb);
  const filters = { ...sharedFilters({ ...args, count }), gpu, diskGb };
  const [best] = await services.provider.searchOffers(offerQuery({ ...filters, limit: 1 }, services.config));
  if (!best) {
    throw new GpuopsError(
      ErrorCode.NoMatchingOffer,
      `No ${count}x ${gpu.displayName} offer with ${diskGb} GB of disk matches${args.max_price_per_gpu_hour ? ` under ${formatPrice(args.max_price_per_gpu_hour)} per GPU` : ''} right now; nothing was rented. Try another GPU or a higher price.`,
    );
  }
  return {
    snapshot,
    gpu,
    jobArgs: {
      gpu: gpu.id,
      count,
      image: origin?.image ?? services.config.defaultImage,
      disk_gb: diskGb,
      ...(args.max_price_per_gpu_hour !== undefined && {
        max_price_per_gpu_hour: args.max_price_per_gpu_hour,
      }),
      ...(args.region !== undefined && { region: args.region }),
      restore_snapshot: args.snapshot,
    },
  };
}

export const restoreToNewTool = defineTool({
  name: 'restore_to_new_instance',
  description:
    'Deploy a new instance and restore a snapshot onto it, verified, before it counts as running ("restore snap-2 on a 4090"). By default the snapshot\'s own instance\'s GPU. Asks for confirmation.',
  schema: restoreToNewSchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const { snapshot, gpu, jobArgs } = await plan(args, ctx, services);
    return `Deploy a new ${jobArgs.count}x ${gpu.displayName} (${jobArgs.disk_gb} GB disk, ${jobArgs.image}) and restore ${args.snapshot} (${snapshot.files} files, ${formatBytes(Number(snapshot.bytes ?? 0))}) onto it? It bills from when it is rented.`;
  },
  async run(args, ctx, services) {
    const { gpu, jobArgs } = await plan(args, ctx, services);
    const job = await services.operations.enqueue({ kind: 'deploy', args: jobArgs, context: ctx });
    return {
      text: `Deploying ${jobArgs.count}x ${gpu.displayName} and restoring ${args.snapshot} onto it. Operation ${job.operationId}; progress follows.`,
      data: { operation: job.operationId, snapshot: args.snapshot, args: jobArgs },
      job,
    };
  },
});
