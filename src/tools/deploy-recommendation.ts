import { latestRecommendation } from '../../db/repositories/recommendations.ts';
import type { RecommendedConfig } from '../../db/schema.ts';
import { gpuById, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { checkBudget } from '../cloud/market-query.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice } from '../format/text.ts';
import { type DeployJobArgs, deployRecommendationSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/** A recommendation older than this is stale: the market has moved on. */
const MAX_AGE_MS = 6 * 3_600_000;
/** How far above the recommended price a replacement offer may be, if the offer itself is gone. */
const PRICE_SLACK = 1.15;

export const deployRecommendationTool = defineTool({
  name: 'deploy_recommendation',
  description:
    'Deploy what the GPU advisor last recommended in this channel ("deploy it"), or one of its alternatives by GPU.',
  schema: deployRecommendationSchema,
  kind: 'job',
  async run(args, ctx, services) {
    const row = await latestRecommendation(
      services.db,
      { channel: ctx.channel, conversation: ctx.conversation },
      MAX_AGE_MS,
    );
    if (!row) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `There is no recent recommendation in this ${ctx.conversation ? 'thread' : 'channel'} to deploy. Ask me first, e.g. "what do I need to serve Llama 3.1 8B?"`,
      );
    }
    let chosen: RecommendedConfig | null | undefined = row.pick;
    if (args.cheapest && args.instead_gpu !== undefined) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        'Say either which GPU to deploy instead or "the cheaper one", not both.',
      );
    }
    if (args.cheapest) {
      const options = [row.pick, ...row.alternatives].filter((c): c is RecommendedConfig => c !== null);
      chosen = options.reduce<RecommendedConfig | undefined>(
        (best, c) => (best === undefined || c.price_per_hour < best.price_per_hour ? c : best),
        undefined,
      );
    }
    if (args.instead_gpu !== undefined) {
      const wanted = resolveGpuArg(args.instead_gpu);
      chosen = [row.pick, ...row.alternatives].find((c) => c?.gpu === wanted.id);
      if (!chosen) {
        const options = [row.pick, ...row.alternatives]
          .filter((c): c is RecommendedConfig => c !== null)
          .map((c) => gpuById(c.gpu)?.displayName ?? c.gpu);
        throw new GpuopsError(
          ErrorCode.BadInput,
          `The last recommendation had no ${wanted.displayName} option; it had ${options.join(', ') || 'none'}.`,
        );
      }
    }
    if (!chosen) {
      throw new GpuopsError(
        ErrorCode.NoMatchingOffer,
        'The last recommendation found no offer to deploy. Ask again to re-check the market.',
      );
    }
    const gpu = gpuById(chosen.gpu);
    if (!gpu)
      throw new GpuopsError(ErrorCode.UnknownGpu, `Unknown GPU "${chosen.gpu}" in the recommendation.`);
    const maxPerGpu = Math.round(((chosen.price_per_hour * PRICE_SLACK) / chosen.count) * 1000) / 1000;
    checkBudget(maxPerGpu, chosen.count, services.config);
    const jobArgs: DeployJobArgs = {
      gpu: gpu.id,
      count: chosen.count,
      image: chosen.image ?? services.config.defaultImage,
      disk_gb: chosen.disk_gb,
      max_price_per_gpu_hour: maxPerGpu,
      offer_id: chosen.offer_id,
    };
    const job = await services.operations.enqueue({ kind: 'deploy', args: jobArgs, context: ctx });
    return {
      text: `Deploying the recommendation: ${chosen.count}x ${gpu.displayName} (offer ${chosen.offer_id}, ${formatPrice(chosen.price_per_hour)}) with ${jobArgs.image} and ${jobArgs.disk_gb} GB disk. Operation ${job.operationId}.`,
      data: { operation: job.operationId, args: jobArgs, recommendation: row.id },
      job,
    };
  },
});
