/**
 * Speed model: roofline estimates of decode, prefill and training throughput on a GPU configuration.
 * Decode is bounded by memory bandwidth over the bytes read per step (or by compute once the batch is
 * large), prefill and training by compute at a stated utilisation, and several GPUs lose a share per
 * doubling to their interconnect. These are estimates; `assumptions()` lists what they rest on.
 */
import { type GpuModel, precisionSupport } from '../cloud/gpu-catalog.ts';
import { FIT_COUNTS, fitsOn, USABLE_VRAM_FRACTION } from './fit.ts';
import { kvCacheBytesPerToken, kvShareForGpus, memoryAssumptions, weightBytes } from './memory.ts';
import type { SpeedEstimate, Workload } from './types.ts';

/**
 * Share of peak memory bandwidth a decode step achieves: vLLM and llama.cpp reach ~65–75% at batch 1
 * (Llama 3 8B fp16 on an H100 SXM: ~140 tokens/s against 208 at full bandwidth).
 */
export const DECODE_BANDWIDTH_EFFICIENCY = 0.7;
/**
 * bitsandbytes NF4 inference dequantizes without fused kernels ("4-bit inference is slow", QLoRA
 * README), so it gets half the bandwidth efficiency.
 */
export const NF4_DECODE_BANDWIDTH_EFFICIENCY = 0.35;
/** Model FLOPs utilisation of large inference matmuls (prefill, large-batch decode). */
export const INFERENCE_MFU = 0.5;
/** Model FLOPs utilisation of training on datacenter GPUs (35–45% is typical for well-tuned runs). */
export const TRAINING_MFU = 0.4;
/**
 * GeForce cards' listed FP16/FP8 tensor TFLOPS are with 16-bit accumulation; frameworks accumulate in
 * fp32, which GeForce runs at half rate. Their utilisation of the listed figure is halved.
 */
export const GEFORCE_ACCUMULATE_FACTOR = 0.5;
/** QLoRA dequantizes every NF4 weight on every forward and backward pass; ~30% slower than LoRA. */
export const QLORA_THROUGHPUT_FACTOR = 0.7;
/** During decode a sequence's KV cache is on average half full (it grows from the prompt to the end). */
export const AVERAGE_KV_FILL = 0.5;
/**
 * Efficiency kept per doubling of GPUs working on one model: NVLink/NVSwitch (SXM boards, NVL pairs)
 * and AMD Infinity Fabric all-reduce at hundreds of GB/s; PCIe at 32–64 GB/s loses far more.
 */
export const SCALING_PER_DOUBLING: Readonly<Record<GpuModel['interconnect'], number>> = {
  sxm: 0.9,
  nvlink: 0.9,
  'infinity-fabric': 0.9,
  pcie: 0.75,
};
/**
 * Attention without FlashAttention-2 (before Ampere: PyTorch's memory-efficient SDPA kernel or
 * xFormers) does the same FLOPs at about half the speed: the FlashAttention-2 paper measures it
 * 1.3–2.5× faster than the Triton/xFormers-style kernels and ~2× faster than FlashAttention-1.
 */
export const NO_FLASH_ATTENTION_SLOWDOWN = 2;
/**
 * fp32 matmuls: TF32 tensor cores run them at half the 16-bit rate (A100: 156 vs 312 TFLOPS);
 * before Ampere they run on CUDA cores, at an eighth of it (V100: 15.7 vs 125, T4: 8.1 vs 65).
 */
export const TF32_RATE = 0.5;
export const FP32_CUDA_CORE_RATE = 0.125;
/** Below this scaling efficiency the interconnect, not the GPU, is what limits the configuration. */
const INTERCONNECT_BOUND_BELOW = 0.6;

/** Efficiency of `count` GPUs working on one model relative to `count` independent GPUs. */
export function scalingEfficiency(gpu: GpuModel, count: number): number {
  return SCALING_PER_DOUBLING[gpu.interconnect] ** Math.log2(Math.max(1, count));
}

function isGeForce(gpu: GpuModel): boolean {
  return /^(gtx|rtx)-\d/.test(gpu.id);
}

/**
 * Peak dense TFLOPS the workload can use: FP8 only for fp8 weights on a GPU with FP8 tensor cores,
 * fp32 at the TF32 or CUDA-core rate, everything else at the 16-bit tensor rate.
 */
export function usableTflops(w: Workload, gpu: GpuModel): number {
  if (w.precision === 'fp8' && gpu.fp8Tflops !== null) return gpu.fp8Tflops;
  return sixteenBitOrFp32Tflops(w, gpu);
}

function sixteenBitOrFp32Tflops(w: Workload, gpu: GpuModel): number {
  if (w.precision !== 'fp32') return gpu.fp16Tflops;
  return gpu.fp16Tflops * (precisionSupport(gpu).tf32 ? TF32_RATE : FP32_CUDA_CORE_RATE);
}

/** How much slower attention runs on this GPU than with FlashAttention-2. */
function attentionSlowdown(gpu: GpuModel | undefined): number {
  return gpu && !precisionSupport(gpu).flashAttention2 ? NO_FLASH_ATTENTION_SLOWDOWN : 1;
}

function mfu(gpu: GpuModel, base: number): number {
  return isGeForce(gpu) ? base * GEFORCE_ACCUMULATE_FACTOR : base;
}

/** Attention FLOPs per token over `span` cached tokens: QKᵀ and AV, 2 FLOPs per multiply-add each. */
function attentionFlopsPerToken(w: Workload, span: number): number {
  return 4 * w.model.layers * span * w.model.attentionHeads * w.model.headDim;
}

/**
 * Bytes of weights one decode step reads. MoE: the experts the batch's tokens route to. The resident
 * weights, 16-bit embedding and head of quantized formats included, are what memory.ts counts; an
 * untied input embedding is only gathered row by row, so this errs slightly high.
 */
function weightBytesRead(w: Workload, batch: number): number {
  const total = weightBytes(w.model, w.precision);
  const active = w.model.paramsB > 0 ? Math.min(1, w.model.activeParamsB / w.model.paramsB) : 1;
  // Each token uses a share `active` of the expert weights; with `batch` tokens routed independently,
  // the share touched at least once is 1 − (1 − active)^batch (1 for dense models).
  return total * (1 - (1 - active) ** Math.max(1, batch));
}

interface DecodeOption {
  tensorParallel: number;
  replicas: number;
  stepSeconds: number;
  perUser: number;
  aggregate: number;
  prefill: number;
  computeBound: boolean;
  scaling: number;
}

function decodeOption(w: Workload, gpu: GpuModel, tensorParallel: number, replicas: number): DecodeOption {
  const batch = Math.ceil(Math.max(1, w.batch) / replicas);
  const scaling = scalingEfficiency(gpu, tensorParallel);
  const span = Math.max(0, w.contextTokens) * AVERAGE_KV_FILL;
  const kvBytes = batch * span * kvCacheBytesPerToken(w.model, w.kvPrecision);
  const bytesPerGpu =
    weightBytesRead(w, batch) / tensorParallel + kvBytes * kvShareForGpus(w.model, tensorParallel);
  const efficiency = w.precision === 'nf4' ? NF4_DECODE_BANDWIDTH_EFFICIENCY : DECODE_BANDWIDTH_EFFICIENCY;
  const memorySeconds = bytesPerGpu / (gpu.memBandwidthGBs * 1e9 * efficiency * scaling);
  const flopsPerToken =
    2 * w.model.activeParamsB * 1e9 + attentionFlopsPerToken(w, span) * attentionSlowdown(gpu);
  const flopsPerSecond = tensorParallel * usableTflops(w, gpu) * 1e12 * mfu(gpu, INFERENCE_MFU) * scaling;
  const computeSeconds = (batch * flopsPerToken) / flopsPerSecond;
  const stepSeconds = Math.max(memorySeconds, computeSeconds);
  return {
    tensorParallel,
    replicas,
    stepSeconds,
    perUser: 1 / stepSeconds,
    aggregate: Math.max(1, w.batch) / stepSeconds,
    prefill: (replicas * flopsPerSecond) / flopsPerToken,
    computeBound: computeSeconds > memorySeconds,
    scaling,
  };
}

/**
 * With `count` GPUs a server can run one tensor-parallel group or several replicas that share the
 * users. We take the split with the highest aggregate throughput among those whose replicas fit in
 * memory (ties: faster per user), so adding GPUs never makes the estimate slower.
 */
function bestDecodeOption(w: Workload, gpu: GpuModel, count: number): DecodeOption {
  let best: DecodeOption | undefined;
  for (const tensorParallel of FIT_COUNTS) {
    if (tensorParallel > count || count % tensorParallel !== 0) continue;
    const replicas = count / tensorParallel;
    const replicaLoad: Workload = { ...w, batch: Math.ceil(Math.max(1, w.batch) / replicas) };
    if (!fitsOn(replicaLoad, gpu, tensorParallel)) continue;
    const option = decodeOption(w, gpu, tensorParallel, replicas);
    const better =
      best === undefined ||
      option.aggregate > best.aggregate * (1 + 1e-9) ||
      (option.aggregate >= best.aggregate * (1 - 1e-9) && option.perUser > best.perUser);
    if (better) best = option;
  }
  // Nothing fits (the caller should have checked): estimate for all GPUs as one group anyway.
  return best ?? decodeOption(w, gpu, count, 1);
}

function inferenceSpeed(w: Workload, gpu: GpuModel, count: number): SpeedEstimate {
  const option = bestDecodeOption(w, gpu, count);
  if (w.model.kind === 'embedding' || w.model.kind === 'diffusion') {
    // These models do not generate token by token: only their input throughput means anything.
    return { prefillTokensPerS: option.prefill, boundBy: 'compute' };
  }
  const boundBy =
    option.tensorParallel > 1 && option.scaling < INTERCONNECT_BOUND_BELOW
      ? 'interconnect'
      : option.computeBound
        ? 'compute'
        : 'memory-bandwidth';
  return {
    decodeTokensPerS: option.aggregate,
    perUserTokensPerS: option.perUser,
    prefillTokensPerS: option.prefill,
    boundBy,
  };
}

/**
 * Training FLOPs per token. Full fine-tune: 6 × parameters (forward 2, backward 4) plus attention
 * 6 × layers × sequence × heads·headDim (Kaplan et al. 2020). LoRA/QLoRA: the frozen weights need no
 * weight gradients, so forward 2 + input gradients 2 = 4 × parameters, i.e. 2/3 of full. Gradient
 * checkpointing runs the forward pass again: +2 × parameters. On a GPU without FlashAttention-2 the
 * attention term counts double, for its slower kernel.
 */
export function trainingFlopsPerToken(w: Workload, gpu?: GpuModel): number {
  const params = w.model.activeParamsB * 1e9;
  const attention = (attentionFlopsPerToken(w, Math.max(0, w.contextTokens)) / 2) * attentionSlowdown(gpu);
  const passes = w.task === 'full-finetune' ? 3 : 2;
  const recompute = w.gradientCheckpointing ? 1 : 0;
  return (passes + recompute) * (2 * params + attention);
}

function trainingSpeed(w: Workload, gpu: GpuModel, count: number): SpeedEstimate {
  const scaling = scalingEfficiency(gpu, count);
  // Training runs its matmuls in 16-bit (fp32 if asked): FP8 training needs recipes the advisor does not assume.
  const perGpuFlops = sixteenBitOrFp32Tflops(w, gpu) * 1e12 * mfu(gpu, TRAINING_MFU);
  const taskFactor = w.task === 'qlora' ? QLORA_THROUGHPUT_FACTOR : 1;
  const tokensPerS = (count * perGpuFlops * scaling * taskFactor) / trainingFlopsPerToken(w, gpu);
  const estimate: SpeedEstimate = {
    trainTokensPerS: tokensPerS,
    boundBy: count > 1 && scaling < INTERCONNECT_BOUND_BELOW ? 'interconnect' : 'compute',
  };
  if (w.trainingTokens !== undefined) estimate.trainHours = w.trainingTokens / tokensPerS / 3600;
  return estimate;
}

/** Throughput of `count` GPUs of this model on the workload. */
export function estimateSpeed(w: Workload, gpu: GpuModel, count: number): SpeedEstimate {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`GPU count must be a positive integer, got ${count}`);
  }
  return w.task === 'inference' ? inferenceSpeed(w, gpu, count) : trainingSpeed(w, gpu, count);
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Speed assumptions in plain words, with their numbers. */
export function speedAssumptions(): string[] {
  return [
    `Decode reaches ${percent(DECODE_BANDWIDTH_EFFICIENCY)} of peak memory bandwidth ` +
      `(${percent(NF4_DECODE_BANDWIDTH_EFFICIENCY)} for bitsandbytes NF4, which lacks fused kernels); ` +
      'each step reads the weights once for the whole batch (MoE: the experts the batch routes to) and ' +
      `each sequence's KV cache, on average ${percent(AVERAGE_KV_FILL)} full.`,
    `Decode becomes compute-bound once batch × 2 × active parameters FLOPs exceed the bandwidth time; ` +
      `inference matmuls run at ${percent(INFERENCE_MFU)} of peak TFLOPS.`,
    'Prefill is compute-bound: 2 × active parameters plus attention FLOPs per prompt token.',
    'FP8 tensor-core TFLOPS are used only for fp8 weights on GPUs that have FP8; everything else uses ' +
      `the dense FP16/BF16 figure (fp32: ${percent(TF32_RATE)} of it as TF32 from Ampere, ` +
      `${percent(FP32_CUDA_CORE_RATE)} on CUDA cores before).`,
    `Before Ampere there is no FlashAttention-2: attention FLOPs count ${NO_FLASH_ATTENTION_SLOWDOWN}× for ` +
      'its slower memory-efficient kernel (same memory).',
    `Training: 6 × parameters FLOPs per token for a full fine-tune, 4 × for LoRA/QLoRA, +2 × with ` +
      `gradient checkpointing, at ${percent(TRAINING_MFU)} utilisation on datacenter GPUs; QLoRA runs at ` +
      `${percent(QLORA_THROUGHPUT_FACTOR)} of LoRA's speed (NF4 dequantization).`,
    `GeForce cards reach ${percent(GEFORCE_ACCUMULATE_FACTOR)} of the utilisation above: their listed ` +
      'tensor TFLOPS assume 16-bit accumulation, which training and serving frameworks do not use.',
    `Several GPUs keep ${percent(SCALING_PER_DOUBLING.sxm)} of their added speed per doubling over ` +
      `NVLink/SXM or Infinity Fabric and ${percent(SCALING_PER_DOUBLING.pcie)} over PCIe; a server picks ` +
      'the mix of tensor parallelism and replicas that serves the batch fastest.',
  ];
}

/** Everything the memory, fit and speed estimates assume, for the answer's "assumptions" list. */
export function assumptions(): string[] {
  return [
    ...memoryAssumptions(),
    `A configuration fits when each GPU needs at most ${percent(USABLE_VRAM_FRACTION)} of its nominal ` +
      'memory (nominal sizes are GiB, so this leaves ~12% of the physical bytes for the driver, ' +
      'communication buffers and headroom).',
    ...speedAssumptions(),
  ];
}
