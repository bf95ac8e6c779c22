/**
 * The GPU advisor's vocabulary: what a model is, what the user wants to do with it, and the
 * figures the arithmetic produces. Memory figures are in GB of 10^9 bytes, the unit model cards
 * and Hugging Face's memory tables use; GPU memory is compared in the same unit.
 */

export type ModelKind = 'llm' | 'moe' | 'embedding' | 'speech' | 'diffusion';

export interface ModelSpec {
  /** Stable id, e.g. "llama-3.1-70b". */
  id: string;
  /** Display name, e.g. "Llama 3.1 70B". */
  name: string;
  family: string;
  kind: ModelKind;
  /** Total parameters, billions. */
  paramsB: number;
  /** Parameters used per token (MoE), billions; equals paramsB for dense models. */
  activeParamsB: number;
  layers: number;
  hiddenSize: number;
  attentionHeads: number;
  kvHeads: number;
  headDim: number;
  /** Context length the model supports. */
  maxContext: number;
  /**
   * Rows of the token-embedding matrix (config.json vocab_size; for multimodal models the text
   * model's). Quantized checkpoints keep the embedding and the output head in higher precision than
   * the rest, and training materialises sequence × vocabulary logits, so both need it. 0 where no
   * matrix of this shape sits beside `hiddenSize` (diffusion pipelines, see the catalog).
   */
  vocabSize: number;
  /**
   * Whether one vocab × hidden matrix serves as both the input embedding and the output head
   * (config.json tie_word_embeddings). Also true for encoders and embedding models that have no
   * output head: either way a single matrix is held; false means two.
   */
  tiedEmbeddings: boolean;
  /**
   * Multi-head latent attention (DeepSeek V2/V3/R1): the KV cache holds one compressed vector of
   * this many values per token per layer instead of 2 × kvHeads × headDim.
   */
  mlaCacheDim?: number;
  /** Diffusion and speech models: the parts that sit in GPU memory, billions of parameters. */
  components?: Record<string, number>;
  /** Native dtype of the released weights. */
  nativePrecision: 'fp32' | 'bf16' | 'fp16' | 'fp8';
  /** Normalised extra names ("llama370b", "qwen2.57binstruct"); see normaliseModelText. */
  aliases: string[];
  /** Where the architecture figures come from (config.json or model card URL). */
  source: string;
}

/** Weight formats, with their bytes per parameter defined in memory.ts. */
export type WeightPrecision =
  | 'fp32'
  | 'bf16'
  | 'fp16'
  | 'fp8'
  | 'int8'
  | 'awq'
  | 'gptq'
  | 'nf4'
  | 'int4'
  | 'q8_0'
  | 'q6_k'
  | 'q5_k_m'
  | 'q4_k_m'
  | 'q3_k_m'
  | 'q2_k';

export type KvPrecision = 'fp32' | 'fp16' | 'bf16' | 'fp8' | 'int8' | 'int4';

export type Task = 'inference' | 'full-finetune' | 'lora' | 'qlora';

/**
 * A question put to the advisor, as the recommend_gpu tool's schema (src/tools/schemas.ts)
 * accepts it; that schema is checked against this type, so the two cannot drift apart.
 */
export interface AdviceRequest {
  model: string;
  task?: Task | undefined;
  precision?: WeightPrecision | undefined;
  context_tokens?: number | undefined;
  concurrent_users?: number | undefined;
  batch_size?: number | undefined;
  seq_len?: number | undefined;
  lora_rank?: number | undefined;
  gradient_checkpointing?: boolean | undefined;
  training_tokens?: number | undefined;
  /** GPU names as the user wrote them; the advisor resolves them against the catalog. */
  gpus?: string[] | undefined;
  gpu_count?: number | undefined;
  max_price_per_gpu_hour?: number | undefined;
  /** A region id or an ISO country code. */
  region?: string | undefined;
}

/**
 * How big the job is, when the question says: the data a fine-tune trains on, or the load a
 * server carries. Not yet in recommend_gpu's schema (src/tools/schemas.ts), so today only callers
 * that pass them directly (the question parser's `advise` path, tests) use them.
 */
export interface JobSize {
  /** Training examples in the data set ("20k examples"). */
  training_examples?: number | undefined;
  /** Average tokens per example; a stated default when not given. */
  tokens_per_example?: number | undefined;
  /** Passes over the data (default 1); multiplies the examples or `training_tokens`. */
  epochs?: number | undefined;
  /** Requests a server answers per second, on average. */
  requests_per_second?: number | undefined;
  /** Tokens generated per request, for a serving load. */
  tokens_per_request?: number | undefined;
}

/** Everything the advisor reads: recommend_gpu's arguments and, when known, the job's size. */
export interface AdviceQuestionArgs extends AdviceRequest, JobSize {}

export interface Workload {
  model: ModelSpec;
  /** True when the model was not in the catalog and was sized from a parameter count alone. */
  modelEstimated: boolean;
  task: Task;
  precision: WeightPrecision;
  kvPrecision: KvPrecision;
  /** Tokens per sequence held in the KV cache (inference) or trained on (sequence length). */
  contextTokens: number;
  /** Concurrent sequences: users being served, or the training micro-batch. */
  batch: number;
  /** Training only. */
  gradientCheckpointing: boolean;
  /** LoRA/QLoRA rank. */
  loraRank: number;
  /** Training only: tokens in the whole run, for cost per run. */
  trainingTokens?: number;
  /** Training only: how `trainingTokens` was made up, when the question gave the data's size. */
  run?: TrainingRun;
  /** Inference only: the load the server carries, when the question gave one. */
  load?: ServingLoad;
  /** What the user named explicitly (the rest are defaults), for the "as understood" echo. */
  stated: Array<'precision' | 'context' | 'batch' | 'task' | 'seq' | 'rank' | 'checkpointing'>;
}

export interface TrainingRun {
  examples?: number;
  tokensPerExample?: number;
  /** True when the tokens per example are the advisor's default, not the question's. */
  tokensPerExampleAssumed: boolean;
  epochs: number;
  /** Tokens of one pass over the data. */
  datasetTokens: number;
  /** datasetTokens × epochs. */
  totalTokens: number;
}

export interface ServingLoad {
  requestsPerSecond: number;
  tokensPerRequest: number;
  /** True when the tokens per request are the advisor's default. */
  tokensPerRequestAssumed: boolean;
  /** requestsPerSecond × tokensPerRequest: generated tokens per second the servers must sustain. */
  tokensPerSecond: number;
  /** True when the concurrent sequences per replica are the advisor's default, not the question's. */
  batchAssumed: boolean;
}

/** GB (10^9 bytes) by part; `total` is their sum. */
export interface MemoryBreakdown {
  weights: number;
  kv_cache: number;
  activations: number;
  optimizer: number;
  gradients: number;
  overhead: number;
  total: number;
}

export interface FitRow {
  gpu: string;
  count: number;
  vram_gb_total: number;
  fits: boolean;
}

export interface SpeedEstimate {
  /** Inference: aggregate decode tokens per second across the batch. */
  decodeTokensPerS?: number;
  /** Inference: tokens per second one user sees. */
  perUserTokensPerS?: number;
  /** Inference: prompt tokens processed per second. */
  prefillTokensPerS?: number;
  /** Training: tokens per second, and hours for the run when its size is known. */
  trainTokensPerS?: number;
  trainHours?: number;
  /** The bound that limits it: memory bandwidth, compute, or the interconnect. */
  boundBy: 'memory-bandwidth' | 'compute' | 'interconnect';
}

export interface Recommendation {
  /** Display name, e.g. "RTX 4090". */
  gpu: string;
  /** Catalog id, e.g. "rtx-4090". */
  gpu_id: string;
  count: number;
  price_per_hour: number;
  offer_id: number;
  location: string;
  reliability: number;
  est_tokens_per_s?: number;
  /** USD per million generated tokens (inference) at the estimated throughput. */
  usd_per_million_tokens?: number;
  /** USD for the whole training run (training, when its size is known). */
  usd_per_run?: number;
  /** Hours the training run takes on this setup (training, when its size is known). */
  est_hours?: number;
  /** USD per million training tokens (training, when the run size is not given). */
  usd_per_million_training_tokens?: number;
  /** Serving at a stated load: copies of this setup it takes, and what they cost per day. */
  replicas?: number;
  usd_per_day?: number;
  /** How this GPU runs the workload when it lacks the requested precision or kernels. */
  precision_note?: string;
  reason: string;
}
