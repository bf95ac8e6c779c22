import { resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { checkBudget, offerQuery, sharedFilters } from '../cloud/market-query.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice } from '../format/text.ts';
import { type DeployJobArgs, deploySchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const deployTool = defineTool({
  name: 'deploy',
  description:
    'Rent a GPU machine from the marketplace: picks the cheapest offer that matches, starts it and checks SSH. Runs as a job with progress in the channel.',
  schema: deploySchema,
  kind: 'job',
  async run(args, ctx, services) {
    const gpu = resolveGpuArg(args.gpu);
    checkBudget(args.max_price_per_gpu_hour, args.count, services.config);
    const filters = { ...sharedFilters(args), gpu, diskGb: args.disk_gb ?? services.config.defaultDiskGb };
    // Check the market before queueing, so an impossible request is refused at once.
    const [best] = await services.provider.searchOffers(
      offerQuery({ ...filters, limit: 1 }, services.config),
    );
    if (!best) {
      const { maxPricePerGpuHour: _ignored, ...withoutPrice } = filters;
      const [cheapest] = await services.provider.searchOffers(
        offerQuery({ ...withoutPrice, limit: 1 }, services.config),
      );
      const hint = cheapest
        ? `The cheapest ${args.count}x ${gpu.displayName} right now is ${formatPrice(cheapest.pricePerHour)} (${formatPrice(cheapest.pricePerHour / cheapest.numGpus)} per GPU) in ${cheapest.location}.`
        : `There is no ${args.count}x ${gpu.displayName} offer at all right now; try another GPU or fewer per machine.`;
      throw new GpuopsError(
        ErrorCode.NoMatchingOffer,
        `No offer matches ${args.count}x ${gpu.displayName}${args.max_price_per_gpu_hour ? ` under ${formatPrice(args.max_price_per_gpu_hour)} per GPU` : ''}${args.region ? ` in ${args.region}` : ''}. ${hint}`,
      );
    }
    const jobArgs: DeployJobArgs = {
      gpu: gpu.id,
      count: args.count,
      image: args.image ?? services.config.defaultImage,
      disk_gb: args.disk_gb ?? services.config.defaultDiskGb,
      ...(args.max_price_per_gpu_hour !== undefined && {
        max_price_per_gpu_hour: args.max_price_per_gpu_hour,
      }),
      ...(args.region !== undefined && { region: args.region }),
      ...(args.min_reliability !== undefined && { min_reliability: args.min_reliability }),
    };
    const job = await services.operations.enqueue({ kind: 'deploy', args: jobArgs, context: ctx });
    return {
      text: `Deploying ${args.count}x ${gpu.displayName} with ${jobArgs.image}: best offer now ${formatPrice(best.pricePerHour)} in ${best.location}. Operation ${job.operationId}; progress follows.`,
      data: { operation: job.operationId, best_offer: best, args: jobArgs },
      job,
    };
  },
});
