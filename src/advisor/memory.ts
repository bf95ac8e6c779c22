/**
 * Memory model: how many GB (10^9 bytes) a workload needs on each GPU, broken down into the parts an
 * answer shows (weights, KV cache, activations, optimizer states, gradients, runtime overhead).
 *
 * Every constant below is stated in `memoryAssumptions()` so the answer can show its working.
 */
import type { KvPrecision, MemoryBreakdown, ModelSpec, WeightPrecision, Workload } from './types.ts';

const GB = 1e9;

/**
 * Stored bits per weight, including each format's own scales and zero points, averaged over the
 * whole checkpoint.
 *
 * - fp32 / bf16 / fp16 / fp8 / int8: the plain element size. fp8 (per-tensor or 128×128-block
 *   scales) and int8 (per-channel scales) add well under 0.1 bit per weight, so it is left out.
 * - q8_0: llama.cpp's block of 32 int8 values plus one fp16 scale = 34 bytes / 32 weights = 8.5 bits
 *   (ggml-common.h, block_q8_0).
 * - awq / gptq / int4: 4-bit values in groups of 128 with an fp16 scale and a packed 4-bit zero point
 *   per group = 4 + 20/128 ≈ 4.16 bits on the linear layers. We use 4.25: these checkpoints keep the
 *   embeddings and lm_head in 16-bit, and ModelSpec has no vocabulary size to count them apart, so the
 *   extra ~0.1 bit is their average share on large models (Llama 2 70B: 68.45 B linear weights at 4.16
 *   bits plus 0.52 B embedding/lm_head weights at 16 bits average 4.25 bits). Small models with a 128k vocabulary are underestimated: Llama 3.1 8B
 *   AWQ is ~5.7 GB on disk, not 4.3 GB — see memoryAssumptions().
 * - nf4 (bitsandbytes, double quantization): 4 bits + an 8-bit absmax per 64 weights + an fp32
 *   second-level constant per 256 blocks = 4 + 8/64 + 32/(64·256) ≈ 4.127 bits (QLoRA paper §3).
 * - GGUF k-quants: llama.cpp's `llama-quantize --help` lists each type's file size for Llama-3-8B
 *   (8.03 B parameters, GiB): Q6_K 6.14, Q5_K_M 5.33, Q4_K_M 4.58, Q3_K_M 3.74, Q2_K 2.96 GiB, which is
 *   6.57 / 5.70 / 4.90 / 4.00 / 3.17 bits per weight. These mixes keep some tensors (attn_v, ffn_down,
 *   output) at higher precision, so the average is above the name's bit width. The older table for
 *   LLaMA-v1-7B (32k vocabulary) gave 6.56 / 5.69 / 4.85 / 3.91 / 3.35; we use the Llama-3-8B figures
 *   because current models have the large vocabularies that shift the average.
 */
const BITS_PER_WEIGHT: Readonly<Record<WeightPrecision, number>> = {
  fp32: 32,
  bf16: 16,
  fp16: 16,
  fp8: 8,
  int8: 8,
  q8_0: 8.5,
  awq: 4.25,
  gptq: 4.25,
  int4: 4.25,
  nf4: 4.127,
  q6_k: 6.57,
  q5_k_m: 5.7,
  q4_k_m: 4.9,
  q3_k_m: 4.0,
  q2_k: 3.17,
};

const KV_BYTES: Readonly<Record<KvPrecision, number>> = {
  fp32: 4,
  fp16: 2,
  bf16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
};

/** CUDA context, cuBLAS/NCCL workspaces and CUDA graphs: ~0.3–0.5 GB of context plus the rest. */
export const RUNTIME_OVERHEAD_GB_PER_GPU = 1.0;
/**
 * PyTorch's caching allocator leaves gaps between freed and reused blocks; 10% of the memory that is
 * allocated and freed every step (activations, gradients) is a typical loss. Weights and the paged
 * KV cache are allocated once in large blocks and do not fragment.
 */
export const ALLOCATOR_MARGIN = 0.1;
/**
 * Inference prefill is processed in chunks of this many tokens (vLLM's max_num_batched_tokens default
 * of 2048 with chunked prefill), so the activation working set does not grow with the prompt.
 */
export const PREFILL_CHUNK_TOKENS = 2048;
/**
 * Live 16-bit values per token per hidden unit while one layer runs at inference: residual, norm
 * output, q/k/v, attention output, the MLP's gate/up projections (~3.5× hidden each) and their
 * product. Only one layer's tensors are alive at a time.
 */
export const INFERENCE_ACTIVATION_VALUES_PER_HIDDEN = 18;
/**
 * Training activations stored per layer, bytes per (sequence × batch × hidden), 16-bit: Korthikanti
 * et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", eq. 1 gives
 * s·b·h·(34 + 5·a·s/h). We assume FlashAttention (PyTorch SDPA, the transformers default), which
 * never stores the a·s² attention scores, so the 5·a·s/h term drops.
 */
export const TRAINING_ACTIVATION_BYTES_PER_SBH = 34;
/** With gradient checkpointing only each layer's 16-bit input is kept (2 bytes × s·b·h per layer). */
export const CHECKPOINTED_BYTES_PER_SBH = 2;
/**
 * Mixed-precision AdamW, bytes per trained parameter, as in transformers' "model memory anatomy"
 * guide (18 bytes): a 16-bit working copy of the weights (2), fp32 master weights + Adam m and v
 * (4 + 8 = 12, counted as optimizer state), fp32 gradients (4; PyTorch AMP keeps the parameters in
 * fp32, so their gradients are fp32). DeepSpeed-style bf16 gradients would make it 16.
 */
export const MIXED_PRECISION_BYTES = { weights: 2, optimizer: 12, gradients: 4 } as const;
/** Plain fp32 training: the weights are the master copy; Adam m and v; fp32 gradients. */
export const FP32_TRAINING_BYTES = { weights: 4, optimizer: 8, gradients: 4 } as const;

const FOUR_BIT_FORMATS: readonly WeightPrecision[] = ['nf4', 'int4', 'awq', 'gptq'];

export function bitsPerWeight(precision: WeightPrecision): number {
  return BITS_PER_WEIGHT[precision];
}

export function bytesPerParam(precision: WeightPrecision): number {
  return BITS_PER_WEIGHT[precision] / 8;
}

export function kvBytesPerValue(precision: KvPrecision): number {
  return KV_BYTES[precision];
}

/**
 * Parameters that sit in GPU memory. Diffusion and speech pipelines list their parts (denoiser, text
 * encoders, VAE); MoE models keep every expert resident, so the total counts, not the active share.
 */
export function residentParams(model: ModelSpec): number {
  const parts = model.components ? Object.values(model.components) : [];
  const billions = parts.length > 0 ? parts.reduce((sum, b) => sum + b, 0) : model.paramsB;
  return billions * 1e9;
}

/** Whether the model keeps a KV cache while generating: encoders and diffusion models do not. */
function hasKvCache(model: ModelSpec): boolean {
  return model.kind === 'llm' || model.kind === 'moe' || model.kind === 'speech';
}

/**
 * KV cache bytes per token of one sequence, all layers: 2 (K and V) × layers × KV heads × head dim ×
 * bytes, or with multi-head latent attention one compressed vector of mlaCacheDim per layer.
 */
export function kvCacheBytesPerToken(model: ModelSpec, kvPrecision: KvPrecision): number {
  if (!hasKvCache(model)) return 0;
  const bytes = KV_BYTES[kvPrecision];
  if (model.mlaCacheDim !== undefined) return model.layers * model.mlaCacheDim * bytes;
  return 2 * model.layers * model.kvHeads * model.headDim * bytes;
}

/** The whole KV cache for the workload's concurrent sequences at full context, GB. */
export function kvCacheGb(w: Workload): number {
  if (w.task !== 'inference') return 0;
  const tokens = Math.max(0, w.contextTokens) * Math.max(0, w.batch);
  return (kvCacheBytesPerToken(w.model, w.kvPrecision) * tokens) / GB;
}

/**
 * Fraction of the KV cache one GPU holds under tensor parallelism. KV heads are split across GPUs;
 * with fewer KV heads than GPUs each head is replicated (vLLM does this), so a GPU never holds less
 * than one head. MLA's latent vector is shared by all heads and is replicated on every GPU.
 */
export function kvShareForGpus(model: ModelSpec, count: number): number {
  if (model.mlaCacheDim !== undefined) return 1;
  if (model.kvHeads <= 0) return 1 / count;
  return Math.max(1, Math.ceil(model.kvHeads / count)) / model.kvHeads;
}

/**
 * MLP intermediate size recovered from the parameter count, since ModelSpec does not carry it: each
 * layer holds attention (q and o: h × heads·headDim each; k and v: h × kvHeads·headDim each) plus a
 * gated MLP of 3 × h × d_ff. Embeddings are not separated out (no vocabulary size), which overstates
 * d_ff by the embeddings' share (Llama 3 8B: ~17k instead of 14,336). For MoE the total parameters
 * give the combined width of all experts.
 */
export function estimateIntermediateSize(model: ModelSpec): number {
  const h = model.hiddenSize;
  if (model.layers <= 0 || h <= 0) return 0;
  const attention = 2 * h * model.attentionHeads * model.headDim + 2 * h * model.kvHeads * model.headDim;
  const perLayer = (model.paramsB * 1e9) / model.layers;
  return Math.max(h, (perLayer - attention) / (3 * h));
}

/**
 * LoRA adds rank × (d_in + d_out) parameters to every adapted projection. We adapt all linear layers
 * (q, k, v, o, gate, up, down), which QLoRA found necessary to match full fine-tuning and PEFT's
 * "all-linear" target does.
 */
export function loraTrainableParams(model: ModelSpec, rank: number): number {
  const h = model.hiddenSize;
  if (model.layers <= 0 || h <= 0 || rank <= 0) return 0;
  const q = model.attentionHeads * model.headDim;
  const kv = model.kvHeads * model.headDim;
  const ff = estimateIntermediateSize(model);
  const attention = 2 * (h + q) + 2 * (h + kv);
  const mlp = 3 * (h + ff);
  return rank * model.layers * (attention + mlp);
}

/** Parameters whose gradients and optimizer state are kept: all of them, or the LoRA adapters. */
export function trainableParams(w: Workload): number {
  if (w.task === 'inference') return 0;
  if (w.task === 'full-finetune') return w.model.paramsB * 1e9;
  return loraTrainableParams(w.model, w.loraRank);
}

/** The frozen base's storage format: QLoRA keeps a 4-bit format and otherwise means NF4. */
function frozenBasePrecision(w: Workload): WeightPrecision {
  if (w.task === 'qlora') return FOUR_BIT_FORMATS.includes(w.precision) ? w.precision : 'nf4';
  return w.precision;
}

function assertGpuCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`GPU count must be a positive integer, got ${count}`);
  }
}

function sumParts(parts: Omit<MemoryBreakdown, 'total'>): MemoryBreakdown {
  const total =
    parts.weights + parts.kv_cache + parts.activations + parts.optimizer + parts.gradients + parts.overhead;
  return { ...parts, total };
}

/** Bytes per activation value: 16-bit unless the model runs in fp32. */
function activationBytes(w: Workload): number {
  return w.precision === 'fp32' ? 4 : 2;
}

function inferenceActivationsGb(w: Workload): number {
  const tokens = Math.max(0, w.contextTokens) * Math.max(0, w.batch);
  // Encoders and diffusion denoisers run the whole input at once; generative models prefill in chunks.
  const inFlight = hasKvCache(w.model) ? Math.min(tokens, PREFILL_CHUNK_TOKENS) : tokens;
  return (inFlight * w.model.hiddenSize * activationBytes(w) * INFERENCE_ACTIVATION_VALUES_PER_HIDDEN) / GB;
}

function trainingActivationsGb(w: Workload, batchPerGpu: number): number {
  const sbh = Math.max(0, w.contextTokens) * batchPerGpu * w.model.hiddenSize;
  const perSbh = w.gradientCheckpointing
    ? // Kept layer inputs, plus one layer's full activations while it is recomputed in backward.
      CHECKPOINTED_BYTES_PER_SBH * w.model.layers + TRAINING_ACTIVATION_BYTES_PER_SBH
    : TRAINING_ACTIVATION_BYTES_PER_SBH * w.model.layers;
  // The 34 of Korthikanti et al. is for 16-bit activations; fp32 training doubles it.
  return (sbh * perSbh * (activationBytes(w) / 2)) / GB;
}

function inferencePerGpu(w: Workload, count: number): MemoryBreakdown {
  const weights = (residentParams(w.model) * bytesPerParam(w.precision)) / count / GB;
  const kv_cache = kvCacheGb(w) * kvShareForGpus(w.model, count);
  // Under tensor parallelism part of the working set is sharded, part replicated; we keep the whole
  // of it on every GPU (it is at most a few hundred MB, and erring high is the safe side).
  const activations = inferenceActivationsGb(w);
  const overhead = RUNTIME_OVERHEAD_GB_PER_GPU + ALLOCATOR_MARGIN * activations;
  return sumParts({ weights, kv_cache, activations, optimizer: 0, gradients: 0, overhead });
}

function trainingPerGpu(w: Workload, count: number): MemoryBreakdown {
  const perParam = w.precision === 'fp32' ? FP32_TRAINING_BYTES : MIXED_PRECISION_BYTES;
  const resident = residentParams(w.model);
  let weightBytes: number;
  let optimizerBytes: number;
  let gradientBytes: number;
  let layerBytes: number;
  if (w.task === 'full-finetune') {
    // Full fine-tunes train in 16-bit mixed precision whatever storage format was asked for (a
    // quantized model cannot be updated in place); only fp32 is honoured as full precision. Parts of a
    // pipeline that are not the trained network (a diffusion model's text encoders) stay frozen in
    // 16-bit.
    const trained = trainableParams(w);
    const frozen = Math.max(0, resident - trained);
    weightBytes = trained * perParam.weights + frozen * 2;
    optimizerBytes = trained * perParam.optimizer;
    gradientBytes = trained * perParam.gradients;
    layerBytes = (trained / Math.max(1, w.model.layers)) * perParam.weights;
  } else {
    const base = bytesPerParam(frozenBasePrecision(w));
    const adapters = trainableParams(w);
    weightBytes = resident * base + adapters * perParam.weights;
    optimizerBytes = adapters * perParam.optimizer;
    gradientBytes = adapters * perParam.gradients;
    layerBytes = (resident / Math.max(1, w.model.layers)) * base;
  }
  // Several GPUs train as one FSDP / ZeRO-3 group: weights, gradients and optimizer state are sharded,
  // the micro-batch is split (a sequence cannot be split further), and each GPU all-gathers the layer
  // it is running plus the next one it prefetches.
  const batchPerGpu = Math.ceil(Math.max(1, w.batch) / count);
  const weights = weightBytes / count / GB;
  const optimizer = optimizerBytes / count / GB;
  const gradients = gradientBytes / count / GB;
  const activations = trainingActivationsGb(w, batchPerGpu);
  const gathered = count > 1 ? (2 * layerBytes) / GB : 0;
  const overhead = RUNTIME_OVERHEAD_GB_PER_GPU + ALLOCATOR_MARGIN * (activations + gradients) + gathered;
  return sumParts({ weights, kv_cache: 0, activations, optimizer, gradients, overhead });
}

/**
 * Memory on each of `count` GPUs working together: tensor parallel for inference (weights and KV
 * heads split, runtime overhead on every GPU), FSDP / ZeRO-3 for training.
 */
export function estimateMemoryPerGpu(w: Workload, count: number): MemoryBreakdown {
  assertGpuCount(count);
  return w.task === 'inference' ? inferencePerGpu(w, count) : trainingPerGpu(w, count);
}

/** Memory the workload needs on one GPU; every figure of an answer starts here. */
export function estimateMemory(w: Workload): MemoryBreakdown {
  return estimateMemoryPerGpu(w, 1);
}

/** All GPUs of a configuration together (per-GPU figures × count), for "needs N GB across 4 GPUs". */
export function totalMemoryForConfig(w: Workload, count: number): MemoryBreakdown {
  const per = estimateMemoryPerGpu(w, count);
  return {
    weights: per.weights * count,
    kv_cache: per.kv_cache * count,
    activations: per.activations * count,
    optimizer: per.optimizer * count,
    gradients: per.gradients * count,
    overhead: per.overhead * count,
    total: per.total * count,
  };
}

/** The memory model's assumptions in plain words, with their numbers, for the answer. */
export function memoryAssumptions(): string[] {
  return [
    'Memory is in GB of 10^9 bytes, the unit of model cards and Hugging Face memory tables.',
    'Weights: parameters × bytes per parameter. fp32 4, bf16/fp16 2, fp8/int8 1, GGUF q8_0 8.5 bits; ' +
      '4-bit AWQ/GPTQ/int4 4.25 bits (group 128 with fp16 scales and zero points, plus a share for ' +
      'the 16-bit embeddings); NF4 with double quantization 4.127 bits; GGUF q6_k 6.57, q5_k_m 5.70, ' +
      'q4_k_m 4.90, q3_k_m 4.00, q2_k 3.17 bits (llama.cpp sizes for Llama-3-8B).',
    'Quantized checkpoints keep embeddings and lm_head in 16-bit; the model is not told the vocabulary, ' +
      'so small models with large vocabularies in 4-bit are underestimated by up to ~1.5 GB ' +
      '(Llama 3.1 8B AWQ is about 5.7 GB, not 4.3 GB).',
    'Mixture-of-experts models keep every expert in memory, so the total parameter count is loaded.',
    'KV cache: 2 × layers × KV heads × head dim × bytes per value × tokens × concurrent sequences ' +
      '(DeepSeek-style MLA: layers × latent dim × bytes per token), at the full context for every sequence.',
    `Inference activations: one layer's working set for a ${PREFILL_CHUNK_TOKENS}-token prefill chunk, ` +
      `${INFERENCE_ACTIVATION_VALUES_PER_HIDDEN} hidden-sized 16-bit values per token.`,
    `Training activations: ${TRAINING_ACTIVATION_BYTES_PER_SBH} bytes × sequence × batch × hidden per ` +
      'layer (Korthikanti et al. 2022, with FlashAttention so no attention-score term); with gradient ' +
      `checkpointing ${CHECKPOINTED_BYTES_PER_SBH} bytes per layer plus one layer recomputed in full. ` +
      'The output logits (sequence × vocabulary) are not counted.',
    `Full fine-tune, mixed-precision AdamW: ${MIXED_PRECISION_BYTES.weights} bytes of 16-bit weights, ` +
      `${MIXED_PRECISION_BYTES.optimizer} bytes of optimizer state (fp32 master copy, Adam m and v) and ` +
      `${MIXED_PRECISION_BYTES.gradients} bytes of fp32 gradients per parameter, 18 in all.`,
    'LoRA / QLoRA: adapters of rank r on q, k, v, o, gate, up and down (r × (d_in + d_out) each; the MLP ' +
      'width is recovered from the parameter count), 18 bytes per adapter parameter; the base stays ' +
      'frozen at its precision (QLoRA: NF4).',
    'Several GPUs: inference is tensor parallel (weights and KV heads split, MLA cache replicated); ' +
      'training is FSDP/ZeRO-3 (weights, gradients and optimizer state sharded, batch split).',
    `Overhead: ${RUNTIME_OVERHEAD_GB_PER_GPU} GB per GPU for the CUDA context and framework, plus ` +
      `${ALLOCATOR_MARGIN * 100}% of activations and gradients for allocator fragmentation.`,
  ];
}
