import { z } from 'zod';
import type { AdviceRequest } from '../advisor/types.ts';
import { countArg, gpuArg, instanceArg, maxPriceArg, regionArg } from './args.ts';

/**
 * The argument schema of every tool, the single source for the LLM's tool definitions, the
 * offline planner's output, slash-command validation and job payloads. Behaviour lives in one
 * module per tool beside this file.
 */

export const searchOffersSchema = z.object({
  gpu: gpuArg.optional(),
  count: countArg.optional(),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  region: regionArg.optional(),
  min_gpu_ram_gb: z.number().positive().max(1024).optional().describe('Minimum memory per GPU in GB'),
  min_reliability: z.number().min(0).max(1).optional().describe('Minimum host reliability, 0-1'),
  order: z
    .enum(['price', 'reliability', 'performance_per_dollar'])
    .optional()
    .describe('Sort order, default price'),
  limit: z.number().int().min(1).max(50).optional().describe('How many offers to show, default 10'),
});

export const listInstancesSchema = z.object({
  state: z
    .enum(['active', 'running', 'stopped', 'all'])
    .optional()
    .describe('Which instances, default active'),
});

export const instanceStatusSchema = z.object({ instance: instanceArg });

export const deploySchema = z.object({
  gpu: gpuArg,
  count: countArg.default(1),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  image: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_./:@-]*$/, 'a Docker image reference like pytorch/pytorch:latest')
    .optional()
    .describe('Docker image, e.g. "pytorch/pytorch:latest" or "vllm/vllm-openai:latest"'),
  disk_gb: z.number().int().min(1).max(20_000).optional().describe('Disk size in GB'),
  region: regionArg.optional(),
  min_reliability: z.number().min(0).max(1).optional(),
});

/**
 * What a deploy operation runs with, as its job data: the deploy tool's arguments resolved (the GPU
 * to its catalog id, the image and disk to the team's defaults), plus the offer a recommendation
 * picked. Both deploy tools build it, the operation row stores it, and the job reads it with this.
 */
export const deployJobSchema = z.strictObject({
  gpu: z.string().min(1).describe('Catalog GPU id, e.g. "rtx-4090"'),
  count: countArg,
  image: z.string().min(1),
  disk_gb: z.number().int().min(1).max(20_000),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  region: regionArg.optional(),
  min_reliability: z.number().min(0).max(1).optional(),
  /** A specific offer to rent first (a recommendation); the best matching others if it is gone. */
  offer_id: z.number().int().positive().optional(),
});
export type DeployJobArgs = z.infer<typeof deployJobSchema>;

export const pauseSchema = z.object({ instance: instanceArg });
export const resumeSchema = z.object({ instance: instanceArg });
export const destroySchema = z.object({ instance: instanceArg });

export const TASKS = ['inference', 'full-finetune', 'lora', 'qlora'] as const;
export const PRECISIONS = [
  'fp32',
  'bf16',
  'fp16',
  'fp8',
  'int8',
  'awq',
  'gptq',
  'nf4',
  'int4',
  'q8_0',
  'q6_k',
  'q5_k_m',
  'q4_k_m',
  'q3_k_m',
  'q2_k',
] as const;

export const recommendGpuSchema = z.object({
  model: z
    .string()
    .min(1)
    .max(100)
    .describe(
      'Model name as the user wrote it ("Llama 3.1 70B", "qwen2.5 7b"), or a size like "20B" for an unnamed model',
    ),
  task: z.enum(TASKS).optional().describe('inference (default), full-finetune, lora or qlora'),
  precision: z
    .enum(PRECISIONS)
    .optional()
    .describe(
      'Weight precision: fp16/bf16 (default for inference), fp8, int8, 4-bit formats (awq, gptq, nf4, int4), or a GGUF quant',
    ),
  context_tokens: z
    .number()
    .int()
    .min(1)
    .max(2_000_000)
    .optional()
    .describe('Context length per sequence in tokens'),
  concurrent_users: z
    .number()
    .int()
    .min(1)
    .max(4096)
    .optional()
    .describe('Sequences served at once (inference)'),
  batch_size: z.number().int().min(1).max(4096).optional().describe('Micro-batch size (training)'),
  seq_len: z.number().int().min(1).max(2_000_000).optional().describe('Training sequence length in tokens'),
  lora_rank: z.number().int().min(1).max(1024).optional(),
  gradient_checkpointing: z.boolean().optional(),
  training_tokens: z
    .number()
    .positive()
    .max(1e13)
    .optional()
    .describe('Tokens in the whole training run, for its cost'),
  gpus: z
    .array(gpuArg)
    .max(6)
    .optional()
    .describe('GPUs to compare or check, e.g. ["RTX 4090", "A100 80GB"]'),
  gpu_count: countArg.optional().describe('How many of the named GPUs, for "is 8x H100 enough for X?"'),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  region: regionArg.optional(),
});

// The advisor declares the question it answers; this schema must produce exactly that.
type SameShape<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const recommendGpuMatchesAdvisor: SameShape<z.output<typeof recommendGpuSchema>, AdviceRequest> = true;
void recommendGpuMatchesAdvisor;

export const deployRecommendationSchema = z.object({
  instead_gpu: gpuArg
    .optional()
    .describe('Deploy this alternative from the last recommendation instead of the pick'),
  cheapest: z
    .boolean()
    .optional()
    .describe('Deploy the cheapest per hour of the pick and its alternatives ("the cheaper one")'),
});

const snapshotArg = z
  .string()
  .regex(/^snap-\d{1,9}$/, 'a snapshot id looks like snap-3')
  .describe('gpuops snapshot id, like "snap-3"');

export const snapshotSchema = z.object({
  instance: instanceArg,
  name: z
    .string()
    .regex(/^[\w.-]{1,60}$/, 'a name of letters, digits, ".", "_" or "-", up to 60')
    .optional()
    .describe('A name to find it by later, e.g. "before-upgrade"'),
});
export const listSnapshotsSchema = z.object({
  instance: instanceArg.optional().describe("Only this instance's snapshots"),
});
export const restoreSchema = z.object({
  snapshot: snapshotArg,
  instance: instanceArg.describe('The running instance to restore the snapshot onto'),
});

export const TOOL_SCHEMAS = {
  search_offers: searchOffersSchema,
  list_instances: listInstancesSchema,
  instance_status: instanceStatusSchema,
  deploy: deploySchema,
  pause: pauseSchema,
  resume: resumeSchema,
  destroy: destroySchema,
  recommend_gpu: recommendGpuSchema,
  deploy_recommendation: deployRecommendationSchema,
  snapshot: snapshotSchema,
  list_snapshots: listSnapshotsSchema,
  restore: restoreSchema,
} as const;

export type ToolName = keyof typeof TOOL_SCHEMAS;

const GPU_ALIASES = { gpu_name: 'gpu', gpu_model: 'gpu', gpu_type: 'gpu' } as const;
const COUNT_ALIASES = {
  num_gpus: 'count',
  n_gpus: 'count',
  gpu_count: 'count',
  number_of_gpus: 'count',
} as const;
const INSTANCE_ALIASES = { instance_id: 'instance', instance_name: 'instance', id: 'instance' } as const;

/**
 * Other names models give arguments, read as the schema's own where the meaning is the same
 * beyond doubt. A name whose meaning is not certain is not here: "max_price" may be per machine
 * or per GPU, so a model that sends it is asked to use max_price_per_gpu_hour instead.
 */
export const ARGUMENT_ALIASES: Readonly<Partial<Record<ToolName, Readonly<Record<string, string>>>>> = {
  search_offers: {
    ...GPU_ALIASES,
    ...COUNT_ALIASES,
    max_results: 'limit',
    num_results: 'limit',
    location: 'region',
  },
  deploy: {
    ...GPU_ALIASES,
    ...COUNT_ALIASES,
    disk_size_gb: 'disk_gb',
    disk_size: 'disk_gb',
    disk_space_gb: 'disk_gb',
    docker_image: 'image',
    image_name: 'image',
    location: 'region',
  },
  instance_status: INSTANCE_ALIASES,
  pause: INSTANCE_ALIASES,
  resume: INSTANCE_ALIASES,
  destroy: INSTANCE_ALIASES,
  recommend_gpu: {
    model_name: 'model',
    quantization: 'precision',
    context_length: 'context_tokens',
    users: 'concurrent_users',
    num_users: 'concurrent_users',
  },
};
export type ToolArgs<N extends ToolName> = z.input<(typeof TOOL_SCHEMAS)[N]>;

/** What the planner (or an LLM) asks for: a tool name and its arguments, validated later. */
export interface PlannedCall {
  tool: ToolName;
  args: Record<string, unknown>;
}
