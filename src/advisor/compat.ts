import type { GpuModel } from '../cloud/gpu-catalog.ts';
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
