import type { z } from 'zod';
import { type Advice, advise } from '../advisor/advise.ts';
import { resolveModel } from '../advisor/models/index.ts';
import type { Recommendation } from '../advisor/types.ts';
import { type GpuModel, gpuById, precisionSupport, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { type JobSpec, jobSpecSchema } from '../domain/jobs.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatDuration, formatPrice, formatUsd } from '../format/text.ts';
import { shellQuote } from '../util/shell-quote.ts';
import {
  describeLimits,
  jobLimits,
  mostItCosts,
  quoteOf,
  quoteRent,
  type RentQuote,
  rentQuestion,
  startJob,
} from './job-plan.ts';
import { diskFor } from './recommend-gpu.ts';
import { fineTuneSchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

/**
 * "fine-tune Llama 3.1 8B with QLoRA on s3://bucket/train.jsonl for 3 epochs": a job built from a
 * template. The GPU advisor works out the memory and picks the setup (a GPU the request names
 * overrides its pick), the command is Hugging Face TRL's own command line (`trl sft`, TRL 1.9), and
 * the adapter (or the model, for a full fine-tune) and trainer_state.json, whose log_history is the
 * loss curve, land in $GPUOPS_OUTPUT and are kept as the job's artifacts.
 */

type FineTuneArgs = z.output<typeof fineTuneSchema>;

/** The TRL release the command line is written for (and the simulator's stand-in follows). */
export const TRL_VERSION = '1.9.0';

/** Where the dataset is fetched to, and the folder `--dataset_name` names: its file is the train split. */
export const FINE_TUNE_DATA_PATH = 'data/train.jsonl';
const DATASET_FOLDER = 'data';

/** Checkpoints every tenth of the run (a ratio, as TrainingArguments reads a save_steps under 1), two kept. */
const SAVE_EVERY = 0.1;
const SAVE_KEEP = 2;
const LOG_EVERY = 10;
/** The effective batch TRL's SFT defaults give (8), reached by accumulation over the advisor's micro-batch. */
const EFFECTIVE_BATCH = 8;

/** The Hugging Face id a model is trained from, and the name the advisor sizes it by. */
interface HubModel {
  hubId: string;
  adviseAs: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * "Llama 3.1 8B" is the catalog's meta-llama/Llama-3.1-8B (its config.json is where the catalog's
 * figures come from); "org/name" is taken as the Hugging Face id it is, and sized by its name.
 */
export function hubModel(written: string): HubModel {
  const text = written.trim();
  if (HUB_ID.test(text)) return { hubId: text, adviseAs: text.slice(text.indexOf('/') + 1) };
  const model = resolveModel(text);
  if (!model) return { hubId: '', adviseAs: text };
  if (model.kind !== 'llm' && model.kind !== 'moe') {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `${model.name} is not a language model; the fine-tune template trains language models with TRL's SFT trainer.`,
    );
  }
  const hub = /^https:\/\/huggingface\.co\/([^/]+\/[^/]+)/.exec(model.source)?.[1];
  return { hubId: hub ?? '', adviseAs: text };
}

export interface TrlCommandOptions {
  hubId: string;
  method: FineTuneArgs['method'];
  epochs: number;
  /** GPUs in the machine: one training process each. */
  gpus: number;
  /** bf16 where the GPU has it (Ampere and newer), else fp16. */
  bf16: boolean;
  loraRank: number;
  /** The advisor's sequence length and micro-batch: what its memory arithmetic assumed. */
  seqLen: number;
  microBatch: number;
}

/**
 * `trl sft` with the settings the advisor's arithmetic assumed (sequence length, micro-batch,
 * gradient checkpointing, rank), writing checkpoints and the final adapter to $GPUOPS_OUTPUT. TRL is
 * installed first where the image lacks it.
 */
export function trlCommand(o: TrlCommandOptions): string {
  const lora = o.method !== 'full-finetune';
  const flags = [
    `--model_name_or_path ${shellQuote(o.hubId)}`,
    `--dataset_name ${DATASET_FOLDER}`,
    `--num_train_epochs ${o.epochs}`,
    `--max_length ${o.seqLen}`,
    `--per_device_train_batch_size ${o.microBatch}`,
    `--gradient_accumulation_steps ${Math.max(1, Math.round(EFFECTIVE_BATCH / o.microBatch))}`,
    '--gradient_checkpointing true',
    ...(lora ? ['--use_peft', `--lora_r ${o.loraRank}`, `--lora_alpha ${o.loraRank * 2}`] : []),
    ...(o.method === 'qlora' ? ['--load_in_4bit true', '--bnb_4bit_quant_type nf4'] : []),
    o.bf16 ? '--bf16 true' : '--fp16 true',
    '--output_dir "$GPUOPS_OUTPUT"',
    '--save_strategy steps',
    `--save_steps ${SAVE_EVERY}`,
    `--save_total_limit ${SAVE_KEEP}`,
    `--logging_steps ${LOG_EVERY}`,
    '--report_to none',
    // trl sft hands this to accelerate launch: one process per GPU.
    ...(o.gpus > 1 ? [`--num_processes ${o.gpus}`] : []),
  ];
  const packages = [`'trl==${TRL_VERSION}'`, 'peft', ...(o.method === 'qlora' ? ['bitsandbytes'] : [])];
  return `{ command -v trl >/dev/null 2>&1 || pip install --quiet ${packages.join(' ')}; } && trl sft ${flags.join(' ')}`;
}

interface Plan {
  spec: JobSpec;
  quote: RentQuote;
  advice: Advice;
  /** The advisor's figures for the setup rented, when it ranked that setup. */
  pick: Recommendation | undefined;
}

async function plan(args: FineTuneArgs, services: ToolServices): Promise<Plan> {
  const { hubId, adviseAs } = hubModel(args.model);
  const named = args.gpu === undefined ? undefined : resolveGpuArg(args.gpu);
  const advice = await advise(
    {
      model: adviseAs,
      task: args.method,
      epochs: args.epochs,
      ...(args.training_examples !== undefined && { training_examples: args.training_examples }),
      ...(named && { gpus: [named.displayName] }),
      ...(args.count !== undefined && { gpu_count: args.count }),
      ...(args.max_price_per_gpu_hour !== undefined && {
        max_price_per_gpu_hour: args.max_price_per_gpu_hour,
      }),
      ...(args.region !== undefined && { region: args.region }),
    },
    services.provider,
    services.config,
  );
  if (hubId === '') {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `I can size "${args.model}" but not download it: give its Hugging Face id, like meta-llama/Llama-3.1-8B.`,
    );
  }
  const disk = { disk_gb: diskFor(advice), image: services.config.defaultImage };
  const ranked = [advice.recommendation, ...advice.alternatives].filter(
    (r): r is Recommendation => r !== null,
  );
  let quote: RentQuote;
  let pick: Recommendation | undefined;
  if (named) {
    const checked = advice.checked?.[0];
    const needed = checked?.count_needed ?? null;
    const count = args.count ?? needed ?? 1;
    if (needed === null || needed > count) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `${checked?.verdict ?? `${named.displayName} cannot hold this fine-tune.`} Nothing was rented; name another GPU, or leave it out and I'll pick one.`,
      );
    }
    pick = ranked.find((r) => r.gpu_id === named.id && r.count === count);
    quote = pick
      ? quoteOf(
          named,
          count,
          { id: pick.offer_id, pricePerHour: pick.price_per_hour, location: pick.location },
          { ...args, ...disk },
          services.config,
        )
      : await quoteRent({ ...args, ...disk, gpu: named, count }, services);
  } else {
    pick = advice.recommendation ?? undefined;
    const gpu = pick ? gpuById(pick.gpu_id) : undefined;
    if (!pick || !gpu) {
      throw new GpuopsError(
        ErrorCode.NoMatchingOffer,
        `${advice.reason ?? 'No offer on the market can run this fine-tune right now.'} Nothing was rented.`,
      );
    }
    quote = quoteOf(
      gpu,
      pick.count,
      { id: pick.offer_id, pricePerHour: pick.price_per_hour, location: pick.location },
      { ...args, ...disk },
      services.config,
    );
  }
  const gpu: GpuModel = quote.gpu;
  const command = trlCommand({
    hubId,
    method: args.method,
    epochs: args.epochs,
    gpus: quote.target.count,
    bf16: precisionSupport(gpu).bf16,
    loraRank: advice.workload.lora_rank ?? 16,
    seqLen: advice.workload.context,
    microBatch: advice.workload.batch,
  });
  const spec = jobSpecSchema.parse({
    command,
    inputs: [{ source: args.dataset, path: FINE_TUNE_DATA_PATH }],
    target: quote.target,
    limits: jobLimits(args, services.config),
    retries: args.retries ?? 0,
    template: {
      name: 'fine-tune',
      model: args.model,
      method: args.method,
      dataset: args.dataset,
      epochs: args.epochs,
      ...(pick?.est_hours !== undefined && { estimated_hours: pick.est_hours }),
      ...(pick?.usd_per_run !== undefined && { estimated_cost: pick.usd_per_run }),
    },
  });
  return { spec, quote, advice, pick };
}

/** The advisor's arithmetic as the question shows it: memory, the setup, and time and money. */
function arithmetic(p: Plan): string[] {
  const { advice, quote, pick, spec } = p;
  const w = advice.workload;
  const m = advice.memory_gb;
  const parts = (
    [
      ['weights', m.weights],
      ['activations', m.activations],
      ['optimizer', m.optimizer],
      ['gradients', m.gradients],
      ['overhead', m.overhead],
    ] as const
  )
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(' + ');
  const vram = quote.gpu.vramGb * quote.target.count;
  const lines = [
    `Fine-tune ${w.model} (${w.task}, ${w.precision} base, seq ${w.context.toLocaleString('en-US')} × micro-batch ${w.batch}${w.lora_rank ? `, rank ${w.lora_rank}` : ''}) for ${spec.template?.epochs ?? 1} epoch${spec.template?.epochs === 1 ? '' : 's'}.`,
    `Memory: ${m.total} GB = ${parts}; ${quote.target.count}x ${quote.gpu.displayName} has ${vram} GB.`,
  ];
  if (pick?.est_hours !== undefined && pick.usd_per_run !== undefined) {
    const run = advice.run;
    const tokens = run ? `${run.total_tokens.toLocaleString('en-US')} training tokens` : 'the run';
    lines.push(
      `Estimate: ${tokens} take about ${formatDuration(pick.est_hours * 3_600_000)} on it, about ${formatUsd(pick.usd_per_run)} in all (${formatPrice(pick.price_per_hour)} × ${pick.est_hours} h).`,
    );
  } else if (pick?.usd_per_million_training_tokens !== undefined) {
    lines.push(
      `Estimate: ${formatUsd(pick.usd_per_million_training_tokens)} per million training tokens on it; say how many examples the data set has for the run's time and total cost.`,
    );
  } else {
    lines.push(
      'No time estimate for this setup: the advisor did not rank it; the limits bound what it can cost.',
    );
  }
  // The advisor's own pick (no GPU named): why it chose it.
  if (pick && advice.checked === undefined) lines.push(`Why this setup: ${pick.reason}.`);
  return lines;
}

/** Warnings when the estimate does not fit inside the limits: the job would stop before it ends. */
function limitWarnings(p: Plan): string[] {
  const { spec } = p;
  const hours = spec.template?.estimated_hours;
  const cost = spec.template?.estimated_cost;
  const out: string[] = [];
  if (
    hours !== undefined &&
    spec.limits.max_seconds !== undefined &&
    hours * 3600 > spec.limits.max_seconds
  ) {
    out.push(
      `⚠ The estimate (${formatDuration(hours * 3_600_000)}) is longer than the time limit: it would stop before it finishes (its checkpoints kept). Say "for up to ${Math.ceil(hours * 1.25)} hours" to allow it.`,
    );
  }
  if (cost !== undefined && spec.limits.max_cost !== undefined && cost > spec.limits.max_cost) {
    out.push(
      `⚠ The estimate (${formatUsd(cost)}) is more than the money limit: it would stop before it finishes. Say "up to $${Math.ceil(cost * 1.25)}" to allow it.`,
    );
  }
  return out;
}

export const fineTuneTool = defineTool({
  name: 'fine_tune',
  description:
    "Fine-tune a language model on a JSONL data set (s3:// or https://) with Hugging Face TRL's SFT trainer: QLoRA (default), LoRA or a full fine-tune. The GPU advisor picks the setup (memory and cost arithmetic shown) unless a GPU is named; the adapter and the loss curve (trainer_state.json) are kept as artifacts; the machine is destroyed after. Asks for confirmation with the estimate.",
  schema: fineTuneSchema,
  kind: 'job',
  async confirmation(args, _ctx, services) {
    const p = await plan(args, services);
    return rentQuestion(`\`trl sft\` with ${args.dataset}`, p.quote, p.spec.limits, {
      preface: arithmetic(p),
      extra: [
        ...limitWarnings(p),
        'The adapter (or the model, for a full fine-tune), its checkpoints and trainer_state.json (the loss curve) are kept.',
      ],
    });
  },
  async run(args, ctx, services) {
    const p = await plan(args, services);
    const { spec, quote } = p;
    const most = mostItCosts(quote.ceilingPerHour, spec.limits);
    const estimate =
      spec.template?.estimated_cost !== undefined
        ? `, estimated ${formatUsd(spec.template.estimated_cost)} over ${formatDuration((spec.template.estimated_hours ?? 0) * 3_600_000)}`
        : '';
    const result = await startJob(services, ctx, { spec, machine: { kind: 'rent', quote } }, (ref) =>
      [
        `${ref} queued: fine-tune of ${args.model} (${args.method}, ${args.epochs} epoch${args.epochs === 1 ? '' : 's'}) on ${args.dataset}`,
        ` on a new ${quote.target.count}x ${quote.gpu.displayName} at ${formatPrice(quote.offer.pricePerHour)}${estimate};`,
        ` ${describeLimits(spec.limits)}${most !== undefined ? ` (at most ${formatUsd(most)})` : ''}.`,
        ' The adapter and trainer_state.json (the loss curve) are kept; the machine is destroyed after.',
      ].join(''),
    );
    return {
      ...result,
      data: { ...(result.data as object), advice: { memory_gb: p.advice.memory_gb, pick: p.pick } },
    };
  },
});
