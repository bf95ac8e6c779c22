/**
 * Memory model: how many GB (10^9 bytes) a workload needs on each GPU, broken down into the parts an
 * answer shows (weights, KV cache, activations, optimizer states, gradients, runtime overhead).
 *
 * Every constant below is stated in `memoryAssumptions()` so the answer can show its working.
 */
import type { KvPrecision, MemoryBreakdown, ModelSpec, WeightPrecision, Workload } from './types.ts';

const GB = 1e9;

/**
 * Stored bits per weight of the transformer body: every weight except the token embedding and the
 * output head (lm_head), which `EMBEDDING_BITS` prices separately. Each figure includes the format's
 * own scales and zero points.
 *
 * - fp32 / bf16 / fp16 / fp8 / int8: the plain element size. fp8 (per-tensor or 128×128-block
 *   scales) and int8 (per-channel scales) add well under 0.1 bit per weight, so it is left out.
 * - q8_0: llama.cpp's block of 32 int8 values plus one fp16 scale = 34 bytes / 32 weights = 8.5 bits
 *   (ggml-common.h, block_q8_0).
 * - awq / gptq / int4: 4-bit values in groups of 128 with an fp16 scale and a packed 4-bit zero point
 *   per group per output column = 4 + (16 + 4)/128 = 4.156 bits (AutoAWQ GEMM and AutoGPTQ layouts).
 *   GPTQ adds a 32-bit g_idx per input row, 32/d_out bits per weight (< 0.01 at d_out ≥ 4096), so
 *   both round to 4.16. Checked against whole checkpoints with the 16-bit embeddings added:
 *   hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 is 5.73 GB (4.68 + 1.05 GB shards; 5.73 here),
 *   TheBloke/Llama-2-70B-chat-GPTQ's 4-bit 128g branch 36.65 GB (36.64 here); see the reference table.
 * - nf4 (bitsandbytes, double quantization): 4 bits + an 8-bit absmax per 64 weights + an fp32
 *   second-level constant per 256 blocks = 4 + 8/64 + 32/(64·256) ≈ 4.127 bits (QLoRA paper §3).
 * - GGUF k-quants: llama.cpp's `llama-quantize --help` lists whole-file sizes for Llama-3-8B (8.03 B
 *   parameters, GiB): Q6_K 6.14, Q5_K_M 5.33, Q4_K_M 4.58, Q3_K_M 3.74, Q2_K 2.96. Taking out its two
 *   128,256 × 4096 matrices at the types `EMBEDDING_BITS` gives them leaves 6.57 / 5.65 / 4.80 /
 *   3.85 / 2.95 bits per body weight (these mixes keep attn_v and some ffn_down at a higher type, so
 *   the average is above the name's bit width). Re-derived this way, the same figures reproduce
 *   TheBloke/Llama-2-7B-GGUF (32k vocabulary) within 1%: Q4_K_M 4.07 vs 4.08 GB, Q5_K_M 4.77 vs 4.78,
 *   Q6_K 5.53 vs 5.53. (Its Q2_K, 2.83 GB, predates llama.cpp's smaller 2024 Q2_K mix.)
 */
const BITS_PER_WEIGHT: Readonly<Record<WeightPrecision, number>> = {
  fp32: 32,
  bf16: 16,
  fp16: 16,
  fp8: 8,
  int8: 8,
  q8_0: 8.5,
  awq: 4.16,
  gptq: 4.16,
  int4: 4.16,
  nf4: 4.127,
  q6_k: 6.57,
  q5_k_m: 5.65,
  q4_k_m: 4.8,
  q3_k_m: 3.85,
  q2_k: 2.95,
};

/** llama.cpp block sizes (ggml-common.h): q2_K 84, q3_K 110, q4_K 144, q5_K 176, q6_K 210 bytes per 256. */
const Q2_K_BITS = (84 * 8) / 256;
const Q3_K_BITS = (110 * 8) / 256;
const Q4_K_BITS = (144 * 8) / 256;
const Q5_K_BITS = (176 * 8) / 256;
const Q6_K_BITS = (210 * 8) / 256;
const Q8_0_BITS = (34 * 8) / 32;

/**
 * Bits per weight of the token embedding (`input`) and the output head (`output`) in each format; a
 * tied matrix is stored once, at the output's bits.
 *
 * - Unquantized formats store them like everything else.
 * - AWQ, GPTQ, bitsandbytes int8/NF4 and llm-compressor FP8/INT8 quantize only nn.Linear layers
 *   inside the decoder blocks: embed_tokens is an nn.Embedding, and lm_head is excluded (AutoAWQ and
 *   AutoGPTQ quantize the blocks only; transformers' bitsandbytes integration skips the output
 *   embeddings via get_keys_to_not_convert; llm-compressor recipes `ignore: ["lm_head"]`; vLLM's
 *   online fp8 leaves ParallelLMHead unquantized). So both stay 16-bit. Checked:
 *   neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8 is 9.08 GB (5 + 4.08 GB), exactly 6.98 B body weights
 *   at 1 byte plus 1.05 B embedding weights at 2; a plain 8 GB would be 12% short.
 * - GGUF (llama.cpp `llama_tensor_get_type`): output.weight, or token_embd.weight when the model has
 *   no separate output, becomes Q6_K unless the file is Q8_0; an untied token_embd.weight keeps the
 *   file's base type (q4_K for Q4_K_M, q5_K for Q5_K_M, q3_K for Q3_K_M, q2_K for Q2_K). llama.cpp
 *   keeps token_embd in host memory when offloading, so counting it on the GPU errs on the safe side.
 */
const EMBEDDING_BITS: Readonly<Record<WeightPrecision, { input: number; output: number }>> = {
  fp32: { input: 32, output: 32 },
  bf16: { input: 16, output: 16 },
  fp16: { input: 16, output: 16 },
  fp8: { input: 16, output: 16 },
  int8: { input: 16, output: 16 },
  awq: { input: 16, output: 16 },
  gptq: { input: 16, output: 16 },
  int4: { input: 16, output: 16 },
  nf4: { input: 16, output: 16 },
  q8_0: { input: Q8_0_BITS, output: Q8_0_BITS },
  q6_k: { input: Q6_K_BITS, output: Q6_K_BITS },
  q5_k_m: { input: Q5_K_BITS, output: Q6_K_BITS },
  q4_k_m: { input: Q4_K_BITS, output: Q6_K_BITS },
  q3_k_m: { input: Q3_K_BITS, output: Q6_K_BITS },
  q2_k: { input: Q2_K_BITS, output: Q6_K_BITS },
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
/**
 * Training logits, bytes per (sequence × batch × vocabulary) entry: transformers' causal-LM heads
 * produce the logits in the 16-bit compute dtype (2 bytes) and the loss upcasts them to fp32 before
 * cross-entropy (4 bytes; `logits.float()` in ForCausalLMLoss), and both are alive at the loss. The
 * lm_head runs outside the checkpointed decoder layers, so gradient checkpointing does not shrink
 * them. Cross-entropy's fp32 log-softmax and the logits' gradient can briefly add as much again; we
 * count the two copies that are certainly there, so this is a floor, not the peak. Fused or chunked
 * losses (Liger, Unsloth, torchtune's chunked CE) avoid most of it. It matters for large
 * vocabularies: Gemma 2 9B (256k) at 8,192 tokens holds 12.6 GB of logits, twice its NF4 weights.
 */
export const LOGITS_BYTES_PER_ENTRY = 6;

const FOUR_BIT_FORMATS: readonly WeightPrecision[] = ['nf4', 'int4', 'awq', 'gptq'];

/** Bits per weight of the transformer body (everything but the embedding and output head). */
export function bitsPerWeight(precision: WeightPrecision): number {
  return BITS_PER_WEIGHT[precision];
}

/** Bytes per body weight; `weightBytes` adds the embedding and output head at their own precision. */
export function bytesPerParam(precision: WeightPrecision): number {
  return BITS_PER_WEIGHT[precision] / 8;
}

/** Bits per weight of the token embedding and of the output head in the given format. */
export function embeddingBits(precision: WeightPrecision): { input: number; output: number } {
  return EMBEDDING_BITS[precision];
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

/**
 * Parameters in the token embedding and the output head: vocabulary × hidden, once when the two share
 * a matrix, twice when they do not. Never more than the resident parameters, so a model whose stated
 * size is smaller than its embeddings (a mis-sized custom model) still gets a sane split.
 */
export function embeddingParams(model: ModelSpec): number {
  const matrix = Math.max(0, model.vocabSize) * Math.max(0, model.hiddenSize);
  return Math.min(residentParams(model), matrix * (model.tiedEmbeddings ? 1 : 2));
}

/**
 * Bytes of resident weights in the given format: the body at `bitsPerWeight`, the token embedding
 * and output head at the bits their format keeps them in (16-bit for AWQ/GPTQ/NF4/int8/fp8, q6_K
 * heads in GGUF). A tied matrix is stored once, at the output head's precision.
 */
export function weightBytes(model: ModelSpec, precision: WeightPrecision): number {
  const embedding = embeddingParams(model);
  const body = residentParams(model) - embedding;
  const bits = EMBEDDING_BITS[precision];
  const embeddingBitsTotal = model.tiedEmbeddings
    ? embedding * bits.output
    : (embedding / 2) * (bits.input + bits.output);
  return (body * BITS_PER_WEIGHT[precision] + embeddingBitsTotal) / 8;
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
 * gated MLP of 3 × h × d_ff, and the embedding and output head come off first (Llama 3 8B: 14,337
 * against config.json's 14,336). For MoE the total parameters give the combined width of all experts.
 */
export function estimateIntermediateSize(model: ModelSpec): number {
  const h = model.hiddenSize;
  if (model.layers <= 0 || h <= 0) return 0;
  const attention = 2 * h * model.attentionHeads * model.headDim + 2 * h * model.kvHeads * model.headDim;
  const perLayer = (model.paramsB * 1e9 - embeddingParams(model)) / model.layers;
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

/**
 * The output logits of one training step, GB: sequence × micro-batch × vocabulary entries at
 * LOGITS_BYTES_PER_ENTRY (fp32 training has one fp32 copy, 4 bytes). Only language models produce
 * them; the other kinds are not trained here.
 */
export function trainingLogitsGb(w: Workload, batchPerGpu: number): number {
  if (w.model.kind !== 'llm' && w.model.kind !== 'moe') return 0;
  const entries = Math.max(0, w.contextTokens) * Math.max(0, batchPerGpu) * Math.max(0, w.model.vocabSize);
  const bytes = w.precision === 'fp32' ? 4 : LOGITS_BYTES_PER_ENTRY;
  return (entries * bytes) / GB;
}

function trainingActivationsGb(w: Workload, batchPerGpu: number): number {
  const sbh = Math.max(0, w.contextTokens) * batchPerGpu * w.model.hiddenSize;
  const perSbh = w.gradientCheckpointing
    ? // Kept layer inputs, plus one layer's full activations while it is recomputed in backward.
      CHECKPOINTED_BYTES_PER_SBH * w.model.layers + TRAINING_ACTIVATION_BYTES_PER_SBH
    : TRAINING_ACTIVATION_BYTES_PER_SBH * w.model.layers;
  // The 34 of Korthikanti et al. is for 16-bit activations; fp32 training doubles it.
  const layers = (sbh * perSbh * (activationBytes(w) / 2)) / GB;
  return layers + trainingLogitsGb(w, batchPerGpu);
}

function inferencePerGpu(w: Workload, count: number): MemoryBreakdown {
  const weights = weightBytes(w.model, w.precision) / count / GB;
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
  let weightTotal: number;
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
    weightTotal = trained * perParam.weights + frozen * 2;
    optimizerBytes = trained * perParam.optimizer;
    gradientBytes = trained * perParam.gradients;
    layerBytes = (trained / Math.max(1, w.model.layers)) * perParam.weights;
  } else {
    // The frozen base keeps its format's split: QLoRA's NF4 body with 16-bit embedding and head.
    const base = weightBytes(w.model, frozenBasePrecision(w));
    const adapters = trainableParams(w);
    weightTotal = base + adapters * perParam.weights;
    optimizerBytes = adapters * perParam.optimizer;
    gradientBytes = adapters * perParam.gradients;
    layerBytes = base / Math.max(1, w.model.layers);
  }
  // Several GPUs train as one FSDP / ZeRO-3 group: weights, gradients and optimizer state are sharded,
  // the micro-batch is split (a sequence cannot be split further), and each GPU all-gathers the layer
  // it is running plus the next one it prefetches.
  const batchPerGpu = Math.ceil(Math.max(1, w.batch) / count);
  const weights = weightTotal / count / GB;
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
    "Weights: the transformer body at its format's bits per weight: fp32 32, bf16/fp16 16, fp8/int8 8, " +
      `4-bit AWQ/GPTQ/int4 ${BITS_PER_WEIGHT.awq} bits (group 128 with fp16 scales and zero points), ` +
      `NF4 with double quantization ${BITS_PER_WEIGHT.nf4} bits, GGUF q8_0 ${BITS_PER_WEIGHT.q8_0}, ` +
      `q6_k ${BITS_PER_WEIGHT.q6_k}, q5_k_m ${BITS_PER_WEIGHT.q5_k_m}, q4_k_m ${BITS_PER_WEIGHT.q4_k_m}, ` +
      `q3_k_m ${BITS_PER_WEIGHT.q3_k_m}, q2_k ${BITS_PER_WEIGHT.q2_k} bits (llama.cpp's Llama-3-8B file ` +
      'sizes less their embedding and output).',
    'Token embedding and output head: vocabulary × hidden each (once when tied), kept in 16-bit by ' +
      'AWQ, GPTQ, bitsandbytes NF4/int8 and FP8 checkpoints; GGUF stores the output head as q6_K (q8_0 ' +
      "in Q8_0 files) and an untied embedding at the file's base type. Llama 3.1 8B in AWQ is 5.7 GB, " +
      '2.1 GB of it the 16-bit embedding and head.',
    'Mixture-of-experts models keep every expert in memory, so the total parameter count is loaded.',
    'KV cache: 2 × layers × KV heads × head dim × bytes per value × tokens × concurrent sequences ' +
      '(DeepSeek-style MLA: layers × latent dim × bytes per token), at the full context for every sequence.',
    `Inference activations: one layer's working set for a ${PREFILL_CHUNK_TOKENS}-token prefill chunk, ` +
      `${INFERENCE_ACTIVATION_VALUES_PER_HIDDEN} hidden-sized 16-bit values per token.`,
    `Training activations: ${TRAINING_ACTIVATION_BYTES_PER_SBH} bytes × sequence × batch × hidden per ` +
      'layer (Korthikanti et al. 2022, with FlashAttention so no attention-score term); with gradient ' +
      `checkpointing ${CHECKPOINTED_BYTES_PER_SBH} bytes per layer plus one layer recomputed in full; ` +
      `plus the output logits, sequence × batch × vocabulary × ${LOGITS_BYTES_PER_ENTRY} bytes (a 16-bit ` +
      'copy and the fp32 copy the loss is computed from; fused cross-entropy kernels avoid most of it).',
    `Full fine-tune, mixed-precision AdamW: ${MIXED_PRECISION_BYTES.weights} bytes of 16-bit weights, ` +
      `${MIXED_PRECISION_BYTES.optimizer} bytes of optimizer state (fp32 master copy, Adam m and v) and ` +
      `${MIXED_PRECISION_BYTES.gradients} bytes of fp32 gradients per parameter, 18 in all.`,
    'LoRA / QLoRA: adapters of rank r on q, k, v, o, gate, up and down (r × (d_in + d_out) each; the MLP ' +
      'width is recovered from the parameter count less the embeddings), 18 bytes per adapter parameter; ' +
      'the base stays frozen at its precision (QLoRA: NF4 with a 16-bit embedding and head).',
    'Several GPUs: inference is tensor parallel (weights and KV heads split, MLA cache replicated); ' +
      'training is FSDP/ZeRO-3 (weights, gradients and optimizer state sharded, batch split).',
    `Overhead: ${RUNTIME_OVERHEAD_GB_PER_GPU} GB per GPU for the CUDA context and framework, plus ` +
      `${ALLOCATOR_MARGIN * 100}% of activations and gradients for allocator fragmentation.`,
  ];
}
