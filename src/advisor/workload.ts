import {
  mentionsModelFamily,
  parseParamCount,
  resolveModel,
  suggestModels,
  syntheticModel,
} from './models/index.ts';
import type {
  AdviceQuestionArgs,
  KvPrecision,
  ModelSpec,
  ServingLoad,
  Task,
  TrainingRun,
  WeightPrecision,
  Workload,
} from './types.ts';

/**
 * From recommend_gpu's arguments to the workload the arithmetic runs on: which model, doing what,
 * at which precision, context and batch. Whatever the user did not say gets a default, and
 * `stated` records what they did say, so the answer can echo "as understood" and list the rest as
 * assumptions.
 */

export type RecommendGpuInput = AdviceQuestionArgs;

export type WorkloadResult =
  | { workload: Workload }
  /** Neither a catalog model nor a size: the question to ask back. */
  | { needSize: string }
  /** A known family with a size or variant it does not have ("llama 3 13b"). */
  | { unknownModel: string; suggestions: string[] };

/**
 * What the question parser puts in `model` when the question names none ("which GPU should I use
 * for fine-tuning?"); buildWorkload then asks which model.
 */
export const UNSPECIFIED_MODEL = 'unspecified model';

/** The defaults, in one place so the answer's assumptions can quote them. */
export const WORKLOAD_DEFAULTS = {
  /** Inference context when none is stated, capped at the model's own maximum. */
  inferenceContext: 8192,
  /** Training sequence length: what most fine-tuning recipes (Alpaca, QLoRA) use. */
  trainingSeqLen: 2048,
  /** One user for inference, micro-batch 1 for training (gradient accumulation supplies the rest). */
  batch: 1,
  /** Training without checkpointing needs several times the activation memory; everyone turns it on. */
  gradientCheckpointing: true,
  /** The LoRA/QLoRA rank of the PEFT and QLoRA examples. */
  loraRank: 16,
  /** Side, in pixels, of the images a diffusion model makes: SDXL, SD3 and Flux are 1024-native. */
  imageSize: 1024,
  /** SD 1.5 was trained at 512 × 512. */
  imageSizeSd15: 512,
  /**
   * Average tokens per training example when only the count is given: a round figure for an
   * instruction or chat example with its answer. Stated in every answer that uses it.
   */
  tokensPerExample: 512,
  /** One pass over the data unless the question says more. */
  epochs: 1,
  /** Generated tokens per request of a serving load when the question gives only the rate. */
  tokensPerRequest: 500,
  /**
   * A serving load given as a rate: each request streams at this many tokens per second or more,
   * so requests in flight = rate × tokens per request ÷ this (Little's law)...
   */
  streamTokensPerS: 20,
  /** ...and one copy of the setup takes at most this many of them at once (more copies take the rest). */
  maxSequencesPerReplica: 32,
} as const;

// Words that stand for "some model" rather than naming one.
const GENERIC_NAME =
  /^(?:(?:a|an|the|my|our|this|that|some|your|one)\s+)*(?:unspecified\s+)?(?:model|llm|network|net|ai|it|this|that|one|something|transformer|language\s+model|neural\s+net(?:work)?)s?$/i;

export function buildWorkload(args: RecommendGpuInput): WorkloadResult {
  const written = args.model.trim();
  const found = findModel(written);
  if ('needSize' in found || 'unknownModel' in found) return found;
  const { model, estimated } = found;

  const stated: Workload['stated'] = [];
  // Only language models are trained here; image, speech and embedding models are served, and a
  // training task asked for one of them is not echoed back as understood.
  const trainable = model.kind === 'llm' || model.kind === 'moe';
  const task: Task = trainable ? (args.task ?? 'inference') : 'inference';
  if (args.task !== undefined && args.task === task) stated.push('task');
  const training = task !== 'inference';

  if (args.precision !== undefined) stated.push('precision');
  const precision = args.precision ?? defaultPrecision(model, task);

  let contextTokens: number;
  if (training) {
    if (args.seq_len !== undefined) stated.push('seq');
    else if (args.context_tokens !== undefined) stated.push('context');
    contextTokens = args.seq_len ?? args.context_tokens ?? WORKLOAD_DEFAULTS.trainingSeqLen;
  } else {
    if (args.context_tokens !== undefined) stated.push('context');
    // A "sequence length" for serving is the context per sequence.
    else if (args.seq_len !== undefined) stated.push('seq');
    contextTokens = args.context_tokens ?? args.seq_len ?? defaultContext(model);
  }

  const statedBatch = training ? args.batch_size : (args.concurrent_users ?? args.batch_size);
  if (statedBatch !== undefined) stated.push('batch');
  const load = training ? undefined : servingLoad(args, statedBatch);
  const batch = statedBatch ?? (load ? sequencesPerReplica(load) : WORKLOAD_DEFAULTS.batch);

  if (training && args.gradient_checkpointing !== undefined) stated.push('checkpointing');
  const lora = task === 'lora' || task === 'qlora';
  if (lora && args.lora_rank !== undefined) stated.push('rank');

  const workload: Workload = {
    model,
    modelEstimated: estimated,
    task,
    precision,
    kvPrecision: kvPrecisionFor(precision),
    contextTokens,
    batch,
    gradientCheckpointing: training
      ? (args.gradient_checkpointing ?? WORKLOAD_DEFAULTS.gradientCheckpointing)
      : false,
    loraRank: args.lora_rank ?? WORKLOAD_DEFAULTS.loraRank,
    stated,
  };
  const run = training ? trainingRun(args, contextTokens) : undefined;
  if (run) {
    workload.run = run;
    workload.trainingTokens = run.totalTokens;
  }
  if (load) workload.load = load;
  return { workload };
}

/**
 * The whole run from the data's size: examples × average tokens per example × epochs, or the
 * tokens given × epochs. An example longer than the sequence is cut to it, so the average never
 * exceeds the sequence length.
 */
function trainingRun(args: RecommendGpuInput, seqLen: number): TrainingRun | undefined {
  const epochs = args.epochs ?? WORKLOAD_DEFAULTS.epochs;
  if (args.training_examples !== undefined) {
    const assumed = args.tokens_per_example === undefined;
    const tokensPerExample = Math.min(args.tokens_per_example ?? WORKLOAD_DEFAULTS.tokensPerExample, seqLen);
    const datasetTokens = args.training_examples * tokensPerExample;
    return {
      examples: args.training_examples,
      tokensPerExample,
      tokensPerExampleAssumed: assumed,
      epochs,
      datasetTokens,
      totalTokens: datasetTokens * epochs,
    };
  }
  if (args.training_tokens !== undefined) {
    return {
      tokensPerExampleAssumed: false,
      epochs,
      datasetTokens: args.training_tokens,
      totalTokens: args.training_tokens * epochs,
    };
  }
  return undefined;
}

function servingLoad(args: RecommendGpuInput, statedBatch: number | undefined): ServingLoad | undefined {
  if (args.requests_per_second === undefined) return undefined;
  const tokensPerRequest = args.tokens_per_request ?? WORKLOAD_DEFAULTS.tokensPerRequest;
  return {
    requestsPerSecond: args.requests_per_second,
    tokensPerRequest,
    tokensPerRequestAssumed: args.tokens_per_request === undefined,
    tokensPerSecond: args.requests_per_second * tokensPerRequest,
    batchAssumed: statedBatch === undefined,
  };
}

/** Requests in flight when each streams at the default speed, up to what one copy of a setup takes. */
function sequencesPerReplica(load: ServingLoad): number {
  const inFlight = Math.ceil(load.tokensPerSecond / WORKLOAD_DEFAULTS.streamTokensPerS);
  return Math.max(1, Math.min(WORKLOAD_DEFAULTS.maxSequencesPerReplica, inFlight));
}

type Found =
  | { model: ModelSpec; estimated: boolean }
  | { needSize: string }
  | { unknownModel: string; suggestions: string[] };

function findModel(written: string): Found {
  if (written === '' || GENERIC_NAME.test(written) || written.toLowerCase() === UNSPECIFIED_MODEL) {
    return { needSize: askForSize(undefined) };
  }
  const model = resolveModel(written);
  if (model) return { model, estimated: false };
  // "llama 3 13b", "stable diffusion": a family we know, but no release of it matches. Guessing a
  // shape would pass a fictional model off as a real one, so offer the real ones instead.
  if (mentionsModelFamily(written)) {
    return { unknownModel: written, suggestions: suggestModels(written, 3).map((m) => m.name) };
  }
  const size = parseParamCount(written);
  if (size) {
    // A bare size ("20B", "a 7b model") names no model; anything else is kept as the model's name.
    const bare =
      /^(?:an?\s+)?[\d.]+\s*(?:b|bn|billion|m|million|t|trillion)?(?:[\s-]*a[\d.]+b)?(?:\s+(?:param(?:eter)?s?|model|llm|moe))*$/i.test(
        written,
      );
    const opts = {
      ...(size.activeB !== undefined && { moeActiveB: size.activeB }),
      ...(!bare && { name: written }),
    };
    return { model: syntheticModel(size.paramsB, opts), estimated: true };
  }
  return { needSize: askForSize(written) };
}

function askForSize(name: string | undefined): string {
  const how = 'say e.g. "a 13B model in fp16" or "serve a 7B model for 8 users"';
  if (name === undefined) {
    return `Which model is it? Give its name (e.g. "Llama 3.1 8B", "Qwen2.5 72B") or its size in parameters (${how}), and I'll work out the memory it needs.`;
  }
  return `I don't know the model "${name}", so I can't size it. How many parameters does it have (in billions)? For a model I don't know, ${how}.`;
}

/**
 * Serving uses the weights as released: bf16/fp16, or fp8 for models released in fp8 (DeepSeek
 * V3/R1). Checkpoints released in fp32 are served at half precision, as everyone does: bf16 for
 * language models (Gemma overflows in fp16), fp16 for image, speech and embedding models (the
 * diffusers and sentence-transformers default). QLoRA trains on an NF4 base; LoRA on a bf16 base;
 * a full fine-tune in bf16 mixed precision.
 */
function defaultPrecision(model: ModelSpec, task: Task): WeightPrecision {
  switch (task) {
    case 'qlora':
      return 'nf4';
    case 'lora':
    case 'full-finetune':
      return 'bf16';
    case 'inference':
      if (model.nativePrecision !== 'fp32') return model.nativePrecision;
      return model.kind === 'llm' || model.kind === 'moe' ? 'bf16' : 'fp16';
  }
}

/**
 * The KV cache is kept at 16 bits (vLLM's and transformers' default), except next to fp8 weights,
 * where engines keep it in fp8 too.
 */
function kvPrecisionFor(precision: WeightPrecision): KvPrecision {
  return precision === 'fp8' ? 'fp8' : 'fp16';
}

/**
 * Inference context when none is stated: 8192 tokens, a long chat or a RAG prompt, capped at what
 * the model supports (4k for Llama 2, 448 decoder tokens for Whisper, 512 for bge-large). For
 * image models the "context" is the image side in pixels.
 */
function defaultContext(model: ModelSpec): number {
  if (model.kind === 'diffusion') {
    return model.id === 'sd-1.5' ? WORKLOAD_DEFAULTS.imageSizeSd15 : WORKLOAD_DEFAULTS.imageSize;
  }
  return Math.min(model.maxContext, WORKLOAD_DEFAULTS.inferenceContext);
}
