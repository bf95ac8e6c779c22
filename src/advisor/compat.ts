import { type GpuModel, precisionSupport } from '../cloud/gpu-catalog.ts';
import type { Workload } from './types.ts';

/**
 * Whether the software a workload needs runs on a GPU at all, whatever its memory. Checked
 * against the kernels people actually deploy with: vLLM's quantization support table (AWQ needs
 * compute capability 7.5+, GPTQ 6.0+, FP8 weights 8.0+ via Marlin, native FP8 8.9+ or MI300),
 * bitsandbytes for NF4/QLoRA (NVIDIA only, 7.0+ in practice) and LLM.int8 (7.5+); llama.cpp's GGUF
 * runs everywhere. Returns the reason it does not run, or undefined when it does.
 */
export function unsupportedReason(gpu: GpuModel, workload: Workload): string | undefined {
  const amd = gpu.arch.startsWith('CDNA');
  const cc = gpu.computeCap;
  const p = workload.precision;
  if (workload.task === 'qlora' || p === 'nf4') {
    if (amd) return 'QLoRA/NF4 relies on bitsandbytes, which targets NVIDIA GPUs';
    if (cc < 7.0) return 'bitsandbytes NF4 needs compute capability 7.0 or newer';
  }
  if (p === 'awq' || p === 'int4') {
    if (amd) return 'AWQ kernels in vLLM are built for NVIDIA GPUs';
    if (cc < 7.5) return 'AWQ kernels need compute capability 7.5 (Turing) or newer';
  }
  if (p === 'gptq' && !amd && cc < 6.0) return 'GPTQ kernels need compute capability 6.0 or newer';
  if (p === 'int8' && !amd && cc < 7.5) return 'int8 matmuls need compute capability 7.5 (Turing) or newer';
  if (p === 'fp8') {
    if (amd && gpu.fp8Tflops === null) return 'FP8 needs MI300-class AMD GPUs';
    if (!amd && cc < 8.0) return 'FP8 weights need compute capability 8.0 (Ampere) or newer';
  }
  return undefined;
}

/** How a GPU runs a workload: as asked, changed to what it supports (and why), or not at all. */
export type Adapted = { workload: Workload; note?: string } | { unsupported: string };

/**
 * The workload as it runs on this GPU. A precision the GPU lacks is replaced by the nearest one it
 * has, the way frameworks do it, and the note says so: bf16 becomes fp16 before Ampere (with loss
 * scaling when training, since fp16 gradients underflow without it); FP8 weights become 16-bit
 * where no FP8 kernel exists (twice the weight memory, so the fit is recomputed), and run through
 * weight-only kernels with 16-bit compute on Ampere. Without FlashAttention-2 (before Ampere),
 * PyTorch's memory-efficient attention (and xFormers in vLLM) keeps attention memory linear in
 * the sequence, but runs slower; speed.ts charges for that. What no change can run is left out.
 */
export function adaptToGpu(gpu: GpuModel, workload: Workload): Adapted {
  const support = precisionSupport(gpu);
  const amd = gpu.arch.startsWith('CDNA');
  const training = workload.task !== 'inference';
  const language = workload.model.kind === 'llm' || workload.model.kind === 'moe';
  let adapted = workload;
  const notes: string[] = [];
  if (workload.precision === 'bf16' && !support.bf16) {
    adapted = { ...adapted, precision: 'fp16' };
    notes.push(
      training
        ? 'fp16 with loss scaling (no bf16 before Ampere)'
        : 'bf16 weights run as fp16 (no bf16 before Ampere)',
    );
  } else if (workload.task === 'qlora' && !support.bf16) {
    notes.push('QLoRA computes in fp16 with loss scaling (no bf16 before Ampere)');
  } else if (workload.precision === 'fp8' && !support.fp8) {
    if (amd || gpu.computeCap < 8.0) {
      adapted = { ...adapted, precision: amd ? 'bf16' : 'fp16', kvPrecision: 'fp16' };
      notes.push(`${amd ? 'bf16' : 'fp16'} weights, twice the weight memory (no FP8 kernels on ${gpu.arch})`);
    } else {
      notes.push(
        training
          ? 'trains in bf16 (FP8 tensor cores need Ada or Hopper)'
          : 'FP8 weights through weight-only kernels, 16-bit compute (FP8 tensor cores need Ada or Hopper)',
      );
    }
  } else if (workload.precision === 'fp32' && !support.tf32) {
    notes.push('fp32 on CUDA cores at ~1/8 of the fp16 rate (no TF32 before Ampere)');
  }
  if (language && !support.flashAttention2) {
    notes.push('memory-efficient attention, ~2× slower (no FlashAttention-2 before Ampere)');
  }
  const why = unsupportedReason(gpu, adapted);
  if (why) return { unsupported: why };
  return notes.length > 0 ? { workload: adapted, note: notes.join('; ') } : { workload: adapted };
}
