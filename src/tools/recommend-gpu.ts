import { saveRecommendation } from '../../db/repositories/recommendations.ts';
import type { RecommendedConfig } from '../../db/schema.ts';
import { type Advice, advise } from '../advisor/advise.ts';
import { renderAdvice } from '../advisor/render-advice.ts';
import type { Recommendation } from '../advisor/types.ts';
import { gpuById } from '../cloud/gpu-catalog.ts';
import { recommendGpuSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/** Disk to rent beside a recommendation: room for the weights twice (download + load) and a margin. */
export function diskFor(advice: Advice): number {
  return Math.max(40, Math.ceil((advice.memory_gb.weights * 2 + 20) / 10) * 10);
}

function toConfig(rec: Recommendation, advice: Advice): RecommendedConfig | undefined {
  const gpu = gpuById(rec.gpu_id);
  if (!gpu) return undefined;
  return {
    gpu: gpu.id,
    count: rec.count,
    offer_id: rec.offer_id,
    price_per_hour: rec.price_per_hour,
    disk_gb: diskFor(advice),
    ...(advice.workload.task === 'inference' && { image: 'vllm/vllm-openai:latest' }),
  };
}

export const recommendGpuTool = defineTool({
  name: 'recommend_gpu',
  description:
    'GPU advisor: works out the memory a model needs (weights, KV cache, activations, optimizer) for inference or fine-tuning, which GPU setups fit, and ranks the live offers by price per unit of work. Use for "what do I need to serve X", "can a 3090 run Y", "4090 or A100 for Z", "QLoRA on W".',
  schema: recommendGpuSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const advice = await advise(args, services.provider, services.config);
    const pick = advice.recommendation ? toConfig(advice.recommendation, advice) : undefined;
    await saveRecommendation(services.db, {
      channel: ctx.channel,
      conversation: ctx.conversation ?? null,
      requester: ctx.user,
      question: JSON.stringify(args),
      workload: JSON.stringify(advice.workload),
      pick: pick ? JSON.stringify(pick) : null,
      alternatives: JSON.stringify(
        advice.alternatives
          .map((a) => toConfig(a, advice))
          .filter((c): c is RecommendedConfig => c !== undefined),
      ),
    });
    return { text: renderAdvice(advice), data: advice };
  },
});
