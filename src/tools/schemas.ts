import { z } from 'zod';
import type { AdviceQuestionArgs } from '../advisor/types.ts';
import { jobInputSchema } from '../domain/jobs.ts';
import type { OperationKind } from '../domain/operations.ts';
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
    .enum(['active', 'running', 'stopped', 'hibernated', 'all'])
    .optional()
    .describe('Which instances, default active (everything not destroyed)'),
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
  /** A snapshot to restore onto the new machine (and verify) before the deploy counts as done. */
  restore_snapshot: z
    .string()
    .regex(/^snap-\d{1,9}$/)
    .optional(),
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
    .describe('Tokens of training data (times epochs: the whole run), for its cost'),
  training_examples: z
    .number()
    .int()
    .min(1)
    .max(1e10)
    .optional()
    .describe('Training examples in the data set'),
  tokens_per_example: z
    .number()
    .int()
    .min(1)
    .max(2_000_000)
    .optional()
    .describe('Average tokens per training example (a stated default when not given)'),
  epochs: z.number().positive().max(1000).optional().describe('Passes over the training data (default 1)'),
  requests_per_second: z
    .number()
    .positive()
    .max(1e6)
    .optional()
    .describe('Serving load: requests per second'),
  tokens_per_request: z
    .number()
    .int()
    .min(1)
    .max(2_000_000)
    .optional()
    .describe('Serving load: tokens generated per request'),
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
const recommendGpuMatchesAdvisor: SameShape<z.output<typeof recommendGpuSchema>, AdviceQuestionArgs> = true;
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
export const restoreToNewSchema = z.object({
  snapshot: snapshotArg,
  gpu: gpuArg.optional().describe("GPU for the new instance; by default the snapshot's own instance's GPU"),
  count: countArg.optional(),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  region: regionArg.optional(),
});
export const deleteSnapshotSchema = z.object({ snapshot: snapshotArg });
export const describeSnapshotSchema = z.object({ snapshot: snapshotArg });

/** Scheduled snapshots no more often than this: each one lists and hashes the workspace. */
export const MIN_SNAPSHOT_INTERVAL_MINUTES = 5;
export const snapshotPolicySchema = z.object({
  instance: instanceArg,
  every_minutes: z
    .number()
    .int()
    .min(
      MIN_SNAPSHOT_INTERVAL_MINUTES,
      `a schedule takes a snapshot at most every ${MIN_SNAPSHOT_INTERVAL_MINUTES} minutes`,
    )
    .max(7 * 24 * 60, 'a schedule takes a snapshot at least once a week')
    .optional()
    .describe('Snapshot the instance on a schedule, every this many minutes (60 for "every hour")'),
  stop_schedule: z
    .boolean()
    .optional()
    .describe('Stop the scheduled snapshots ("stop snapshotting i-3"); existing snapshots stay'),
  keep_last: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe(
      'Keep only the last N complete snapshots of the instance (older ones are deleted after each new one); 0 keeps all',
    ),
});

export const failoverSchema = z.object({
  instance: instanceArg,
  gpu: gpuArg
    .optional()
    .describe('GPU to move to; by default the same model or a compatible one (as much memory, same vendor)'),
  max_price_per_gpu_hour: maxPriceArg
    .optional()
    .describe("Highest price per GPU per hour for the replacement; by default the instance's own ceiling"),
});

export const autoFailoverSchema = z.object({
  instance: instanceArg,
  enabled: z.boolean().default(true).describe('true to turn automatic failover on, false to turn it off'),
});

export const hibernateSchema = z.object({ instance: instanceArg });

export const hibernationPolicySchema = z.object({
  instance: instanceArg,
  after_minutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 90)
    .nullable()
    .describe('Hibernate once paused this many minutes (e.g. 120 for "after 2 hours"); null turns it off'),
});

/** What a failover operation runs with: the tool's arguments resolved, and why it runs. */
export const failoverJobSchema = z.strictObject({
  instance: instanceArg,
  /** Catalog GPU id to move to; absent: the same or a compatible GPU. */
  gpu: z.string().min(1).optional(),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  /**
   * requested: by a person; auto: by the health monitor; wake: resuming a hibernated instance;
   * failback: from its CPU standby back onto a GPU.
   */
  reason: z.enum(['requested', 'auto', 'wake', 'failback']),
});
export type FailoverJobArgs = z.infer<typeof failoverJobSchema>;

/** An idle window or a snooze, in whole minutes: at least one, at most a week. */
const idleMinutesArg = z
  .number()
  .int('a whole number of minutes')
  .min(1, 'at least 1 minute')
  .max(7 * 24 * 60, 'at most a week (10080 minutes)');

export const autoPauseSchema = z.object({
  instance: instanceArg
    .optional()
    .describe(
      'The instance to auto-pause when idle; omit it and set channel_default for all of this channel',
    ),
  channel_default: z
    .boolean()
    .optional()
    .describe(
      'Set the default for every instance of this channel that has no policy of its own ("auto-pause idle instances in this channel after 30 minutes")',
    ),
  idle_minutes: idleMinutesArg
    .optional()
    .describe(
      'Pause once its GPUs have been idle this many minutes (60 for "an hour"); omit only to turn a paused-off auto-pause back on',
    ),
  min_utilization: z
    .number()
    .int('a whole percentage')
    .min(1, 'at least 1%')
    .max(100, 'at most 100%')
    .optional()
    .describe('GPU utilisation (%) under which the instance counts as idle; default 5'),
});
export const stopAutoPauseSchema = z.object({
  instance: instanceArg.optional().describe('Never auto-pause this instance'),
  channel_default: z.boolean().optional().describe("Remove this channel's default auto-pause policy"),
});
export const keepRunningSchema = z.object({
  instance: instanceArg,
  minutes: idleMinutesArg
    .optional()
    .describe('Hold off auto-pause this many minutes; default a couple of hours (GPUOPS_IDLE_SNOOZE_MS)'),
  until_further_notice: z
    .boolean()
    .optional()
    .describe('Hold off auto-pause until someone says "auto-pause i-3 again"'),
});
export const IDLE_SAVINGS_PERIODS = ['today', 'week', 'month', 'all'] as const;
export const idleSavingsSchema = z.object({
  period: z
    .enum(IDLE_SAVINGS_PERIODS)
    .optional()
    .describe('today, this week (default; weeks start on Monday, UTC), this month, or all time'),
});

export const standbySchema = z.object({
  instance: instanceArg,
  enabled: z
    .boolean()
    .default(true)
    .describe(
      "true: give the instance a CPU standby, a small GCP VM kept in sync with its latest snapshot (it costs money); false: delete the standby's VM",
    ),
  machine_type: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,62}$/, 'a GCP machine type like e2-standard-4')
    .optional()
    .describe('GCP machine type of the standby VM, e.g. "e2-standard-8"; default the configured one'),
  spot: z
    .boolean()
    .optional()
    .describe('A spot VM: about a third of the price, but GCP may stop it (the next sync starts it again)'),
});

/** A job id as people write it; anything else is refused, never guessed at. */
const jobArg = z
  .string()
  .regex(/^j-\d{1,9}$/, 'a job id looks like j-4')
  .describe('gpuops job id, like "j-4"');

/** Hours a job may run, at most 30 days (what a job's spec holds). */
const jobHoursArg = z
  .number()
  .positive()
  .max(30 * 24)
  .describe('Stop the job after this many hours (2 for "stop after 2 hours"); default from settings');

const jobCostArg = z
  .number()
  .positive()
  .max(1_000_000)
  .describe('Stop the job once it has cost this many USD, every machine included ($5 for "or $5")');

const jobRetriesArg = z
  .number()
  .int()
  .min(0)
  .max(10)
  .describe('How many times the job moves to another machine when its host is lost ("retry on failure": 1)');

export const runJobSchema = z.object({
  command: z
    .string()
    .min(1)
    .max(16_000)
    .describe('Shell command to run, exactly as the user wrote it, e.g. "python train.py --epochs 3"'),
  instance: instanceArg
    .optional()
    .describe('Run on this existing running instance of the channel ("on i-3"); it is left running after'),
  gpu: gpuArg.optional().describe('Rent this GPU for the job; the machine is destroyed after'),
  count: countArg.optional(),
  min_gpu_ram_gb: z
    .number()
    .positive()
    .max(1024)
    .optional()
    .describe('Without a GPU named: rent the cheapest GPU with at least this much memory ("with 24 GB")'),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  region: regionArg.optional(),
  repo: z
    .string()
    .min(1)
    .max(400)
    .optional()
    .describe(
      'Git repository to clone as the working folder, as written: "github.com/org/repo@main", "https://github.com/org/repo" (an @branch, tag or commit optional)',
    ),
  inputs: z
    .array(jobInputSchema)
    .max(32)
    .optional()
    .describe('Files to fetch first: {source: "s3://bucket/key" or "https://...", path: "data/train.jsonl"}'),
  max_hours: jobHoursArg.optional(),
  max_cost: jobCostArg.optional(),
  retries: jobRetriesArg.optional(),
  image: deploySchema.shape.image,
  disk_gb: z.number().int().min(1).max(20_000).optional().describe('Disk of a rented machine in GB'),
});

export const FINE_TUNE_METHODS = ['qlora', 'lora', 'full-finetune'] as const;

export const fineTuneSchema = z.object({
  model: z
    .string()
    .min(1)
    .max(100)
    .describe('Model to fine-tune as the user wrote it ("Llama 3.1 8B") or a Hugging Face id ("org/name")'),
  dataset: jobInputSchema.shape.source
    .refine((address) => /\.jsonl$/i.test(address.split(/[?#]/)[0] ?? ''), 'the address of a .jsonl file')
    .describe('The training data: an s3:// or https:// address of a JSONL file'),
  method: z
    .enum(FINE_TUNE_METHODS)
    .default('qlora')
    .describe('qlora (default: 4-bit base, LoRA adapter), lora, or full-finetune'),
  epochs: z
    .number()
    .positive()
    .max(100)
    .default(1)
    .describe('Passes over the data ("for 3 epochs"); default 1'),
  training_examples: z
    .number()
    .int()
    .min(1)
    .max(1e10)
    .optional()
    .describe('Examples in the data set ("20k examples"), for the time and cost estimate'),
  gpu: gpuArg.optional().describe("GPU to train on; by default the advisor's pick"),
  count: countArg.optional(),
  max_price_per_gpu_hour: maxPriceArg.optional(),
  region: regionArg.optional(),
  max_hours: jobHoursArg.optional(),
  max_cost: jobCostArg.optional(),
  retries: jobRetriesArg.optional(),
});

export const JOB_LOG_LINES_MAX = 200;
export const jobLogsSchema = z.object({
  job: jobArg,
  lines: z
    .number()
    .int()
    .min(1)
    .max(JOB_LOG_LINES_MAX)
    .optional()
    .describe(`How many of the last lines to show, default 20, at most ${JOB_LOG_LINES_MAX}`),
});

export const listJobsSchema = z.object({
  state: z
    .enum(['active', 'ended', 'all'])
    .optional()
    .describe('active (queued or running), ended, or all (default)'),
});

export const jobStatusSchema = z.object({ job: jobArg });
export const cancelJobSchema = z.object({ job: jobArg });

export const rerunJobSchema = z.object({
  job: jobArg,
  gpu: gpuArg.optional().describe("Rent this GPU instead of the job's own"),
  count: countArg.optional(),
  instance: instanceArg.optional().describe('Run it on this existing instance instead'),
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
  restore_to_new_instance: restoreToNewSchema,
  auto_pause: autoPauseSchema,
  stop_auto_pause: stopAutoPauseSchema,
  keep_running: keepRunningSchema,
  idle_savings: idleSavingsSchema,
  delete_snapshot: deleteSnapshotSchema,
  describe_snapshot: describeSnapshotSchema,
  snapshot_policy: snapshotPolicySchema,
  failover: failoverSchema,
  auto_failover: autoFailoverSchema,
  hibernate: hibernateSchema,
  hibernation_policy: hibernationPolicySchema,
  standby: standbySchema,
  run_job: runJobSchema,
  fine_tune: fineTuneSchema,
  job_logs: jobLogsSchema,
  list_jobs: listJobsSchema,
  job_status: jobStatusSchema,
  cancel_job: cancelJobSchema,
  rerun_job: rerunJobSchema,
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
const JOB_ALIASES = { job_id: 'job', id: 'job' } as const;

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
  auto_pause: { ...INSTANCE_ALIASES, idle_time_minutes: 'idle_minutes', minutes: 'idle_minutes' },
  stop_auto_pause: INSTANCE_ALIASES,
  keep_running: INSTANCE_ALIASES,
  delete_snapshot: { snapshot_id: 'snapshot' },
  describe_snapshot: { snapshot_id: 'snapshot' },
  snapshot_policy: { ...INSTANCE_ALIASES, interval_minutes: 'every_minutes' },
  failover: { ...INSTANCE_ALIASES, ...GPU_ALIASES },
  auto_failover: { ...INSTANCE_ALIASES, enable: 'enabled', on: 'enabled' },
  hibernate: INSTANCE_ALIASES,
  hibernation_policy: { ...INSTANCE_ALIASES, minutes: 'after_minutes' },
  standby: { ...INSTANCE_ALIASES, enable: 'enabled', machine: 'machine_type' },
  run_job: {
    ...GPU_ALIASES,
    ...COUNT_ALIASES,
    instance_id: 'instance',
    cmd: 'command',
    docker_image: 'image',
    location: 'region',
    repository: 'repo',
  },
  fine_tune: { ...GPU_ALIASES, ...COUNT_ALIASES, model_name: 'model', num_epochs: 'epochs' },
  job_logs: JOB_ALIASES,
  job_status: JOB_ALIASES,
  cancel_job: JOB_ALIASES,
  rerun_job: { job_id: 'job', ...GPU_ALIASES, ...COUNT_ALIASES, instance_id: 'instance' },
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

/**
 * Each operation kind's data: what a tool or a scheduled pass enqueues and what its job reads. The
 * compiler holds the enqueuer to `OperationArgsIn` by kind, and the job parses what it stored with
 * the same schema (`operationArgs` in src/jobs/queue/job-context.ts), so neither end casts.
 */
export const OPERATION_ARGS = {
  deploy: deployJobSchema,
  pause: pauseSchema,
  resume: resumeSchema,
  destroy: destroySchema,
  snapshot: snapshotSchema.extend({
    /** Taken by a snapshot schedule, not asked for. */
    scheduled: z.boolean().optional(),
  }),
  restore: restoreSchema,
  failover: failoverJobSchema,
  standby: standbySchema,
  standby_off: standbySchema,
  hibernate: hibernateSchema.extend({ reason: z.enum(['requested', 'auto']).optional() }),
  /** The job row (src/domain/jobs.ts) holds what to run; the operation runs it to its end. */
  run_job: z.strictObject({ job: z.number().int().positive() }),
} satisfies Record<OperationKind, z.ZodObject>;
export type OperationArgsIn<K extends OperationKind> = z.input<(typeof OPERATION_ARGS)[K]>;
export type OperationArgs<K extends OperationKind> = z.output<(typeof OPERATION_ARGS)[K]>;
/** Every kind's job data as enqueued, by kind. */
export type OperationInputsIn = { [K in OperationKind]: OperationArgsIn<K> };
