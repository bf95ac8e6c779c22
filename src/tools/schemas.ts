import { z } from 'zod';
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

export const pauseSchema = z.object({ instance: instanceArg });
export const resumeSchema = z.object({ instance: instanceArg });
export const destroySchema = z.object({ instance: instanceArg });

export const TOOL_SCHEMAS = {
  search_offers: searchOffersSchema,
  list_instances: listInstancesSchema,
  instance_status: instanceStatusSchema,
  deploy: deploySchema,
  pause: pauseSchema,
  resume: resumeSchema,
  destroy: destroySchema,
} as const;

export type ToolName = keyof typeof TOOL_SCHEMAS;
export type ToolArgs<N extends ToolName> = z.input<(typeof TOOL_SCHEMAS)[N]>;

/** What the planner (or an LLM) asks for: a tool name and its arguments, validated later. */
export interface PlannedCall {
  tool: ToolName;
  args: Record<string, unknown>;
}
