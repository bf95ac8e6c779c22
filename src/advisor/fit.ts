/**
 * Which GPU configurations hold a workload: the per-GPU memory need against the usable part of each
 * catalog GPU's memory, for the counts a marketplace rents on one machine.
 */
import { GPU_CATALOG, type GpuModel } from '../cloud/gpu-catalog.ts';
import { estimateMemoryPerGpu } from './memory.ts';
import type { FitRow, Workload } from './types.ts';

/**
 * Share of a GPU's nominal memory, read as GB of 10^9 bytes, that the estimate may fill. Nominal
 * sizes are binary (an "80 GB" H100 has 80 GiB ≈ 85.9 × 10^9 bytes), so 0.95 of the nominal figure is
 * ~88% of the physical bytes. The ~12% left covers what the breakdown does not count: memory the
 * driver reserves (ECC on a T4 leaves 15 of 16 GiB visible), NCCL buffers, and the headroom serving
 * stacks keep (vLLM fills 90% of the card by default).
 */
export const USABLE_VRAM_FRACTION = 0.95;

/** GPU counts a marketplace rents on one machine; 8 is the most a single host carries. */
export const FIT_COUNTS = [1, 2, 4, 8] as const;
export const MAX_GPUS_PER_MACHINE = 8;

export function usableVramGb(gpu: GpuModel): number {
  return gpu.vramGb * USABLE_VRAM_FRACTION;
}

/** Whether `count` GPUs of this model, working together, hold the workload. */
export function fitsOn(w: Workload, gpu: GpuModel, count: number): boolean {
  if (!Number.isInteger(count) || count < 1 || count > MAX_GPUS_PER_MACHINE) return false;
  return estimateMemoryPerGpu(w, count).total <= usableVramGb(gpu);
}

/** Every catalog GPU at 1, 2, 4 and 8 per machine, with whether the workload fits. */
export function fitTable(w: Workload): FitRow[] {
  const rows: FitRow[] = [];
  // The need per GPU depends only on the count, so work it out once per count.
  const needByCount = new Map(FIT_COUNTS.map((count) => [count, estimateMemoryPerGpu(w, count).total]));
  for (const gpu of GPU_CATALOG) {
    for (const count of FIT_COUNTS) {
      rows.push({
        gpu: gpu.id,
        count,
        vram_gb_total: gpu.vramGb * count,
        fits: (needByCount.get(count) ?? Number.POSITIVE_INFINITY) <= usableVramGb(gpu),
      });
    }
  }
  return rows;
}

export interface SmallestConfig {
  gpu: GpuModel;
  /** Fewest GPUs of this model that hold the workload. */
  count: number;
  /** Nominal memory of that configuration, GB. */
  vram_gb_total: number;
  /** What each GPU must hold at that count. */
  need_gb_per_gpu: number;
  usable_gb_per_gpu: number;
}

/** The fewest GPUs of a catalog model that hold the workload, or null when 8 do not. */
export function minimumGpuCount(w: Workload, gpu: GpuModel): number | null {
  for (const count of FIT_COUNTS) {
    if (fitsOn(w, gpu, count)) return count;
  }
  return null;
}

/**
 * For each catalog GPU that can hold the workload on one machine, its smallest configuration; GPUs
 * that cannot at 8 are left out. `workloadOn` gives the workload as a GPU runs it, when that differs. Sorted by total memory rented (least paid-for memory left idle
 * first), then fewer GPUs (less interconnect loss), then id for a stable order.
 */
export function smallestConfigs(w: Workload, workloadOn?: (gpu: GpuModel) => Workload): SmallestConfig[] {
  const baseNeed = new Map(FIT_COUNTS.map((count) => [count, estimateMemoryPerGpu(w, count).total]));
  const configs: SmallestConfig[] = [];
  for (const gpu of GPU_CATALOG) {
    // A GPU that runs the workload at another precision (fp16 for fp8 on a V100) needs its own sums.
    const own = workloadOn?.(gpu) ?? w;
    const needByCount =
      own === w
        ? baseNeed
        : new Map(FIT_COUNTS.map((count) => [count, estimateMemoryPerGpu(own, count).total]));
    const usable = usableVramGb(gpu);
    const count = FIT_COUNTS.find((c) => (needByCount.get(c) ?? Number.POSITIVE_INFINITY) <= usable);
    if (count === undefined) continue;
    configs.push({
      gpu,
      count,
      vram_gb_total: gpu.vramGb * count,
      need_gb_per_gpu: needByCount.get(count) ?? 0,
      usable_gb_per_gpu: usable,
    });
  }
  return configs.sort(
    (a, b) => a.vram_gb_total - b.vram_gb_total || a.count - b.count || a.gpu.id.localeCompare(b.gpu.id),
  );
}
