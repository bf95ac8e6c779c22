/**
 * Near the edge: what would make a workload fit a GPU setup it just misses. The standard levers,
 * in the order an engineer reaches for them (cheapest in speed first): gradient checkpointing, a
 * smaller micro-batch (or fewer concurrent sequences when serving), a shorter sequence, then more
 * GPUs. Each is kept once applied, and the first point at which the setup holds it is the answer.
 */
import type { GpuModel } from '../cloud/gpu-catalog.ts';
import { MAX_GPUS_PER_MACHINE, usableVramGb } from './fit.ts';
import { estimateMemoryPerGpu } from './memory.ts';
import type { Workload } from './types.ts';

/** Shortest sequence the levers go down to: the QLoRA paper's 512 for training, 2,048 for serving. */
export const SHORTEST_TRAINING_SEQ = 512;
export const SHORTEST_SERVING_CONTEXT = 2048;

export interface FitLever {
  /** What changed, in words ("sequence 1,024 instead of 2,048"). */
  change: string;
  /** GPUs of the setup once it fits. */
  count: number;
  /** GB each GPU then needs, and what it can hold. */
  needGb: number;
  usableGb: number;
  workload: Workload;
}

/** The first lever (with those before it) that makes `count` of this GPU hold the workload. */
export function whatWouldFit(w: Workload, gpu: GpuModel, count: number): FitLever | undefined {
  const usable = usableVramGb(gpu);
  const need = (x: Workload, n: number) => estimateMemoryPerGpu(x, n).total;
  if (need(w, count) <= usable) return undefined;
  const training = w.task !== 'inference';
  const changes: string[] = [];
  let current = w;
  // `also` is the lever being tried, said only if it is the one that makes it fit.
  const fitsNow = (n: number, also?: string): FitLever | undefined => {
    const needGb = need(current, n);
    if (needGb > usable) return undefined;
    const change = [...changes, ...(also ? [also] : [])].join(', ');
    return { change, count: n, needGb, usableGb: usable, workload: current };
  };

  if (training && !current.gradientCheckpointing) {
    current = { ...current, gradientCheckpointing: true };
    changes.push('gradient checkpointing on');
    const fit = fitsNow(count);
    if (fit) return fit;
  }
  if (current.batch > 1) {
    // Halving keeps the rest of the job as asked; gradient accumulation (training) or more copies
    // (serving) make up the difference.
    for (let batch = Math.floor(current.batch / 2); batch >= 1; batch = Math.floor(batch / 2)) {
      current = { ...current, batch };
      const fit = fitsNow(
        count,
        `${training ? 'micro-batch' : 'concurrent sequences'} ${batch} instead of ${w.batch}`,
      );
      if (fit) return fit;
      if (batch === 1) break;
    }
    changes.push(`${training ? 'micro-batch' : 'concurrent sequences'} 1 instead of ${w.batch}`);
  }
  const shortest = training ? SHORTEST_TRAINING_SEQ : SHORTEST_SERVING_CONTEXT;
  const label = training ? 'sequence' : 'context';
  for (let seq = Math.floor(current.contextTokens / 2); seq >= shortest; seq = Math.floor(seq / 2)) {
    current = { ...current, contextTokens: seq };
    const fit = fitsNow(
      count,
      `${label} ${seq.toLocaleString('en-US')} instead of ${w.contextTokens.toLocaleString('en-US')}`,
    );
    if (fit) return fit;
  }
  // More GPUs, with the job as asked: the other levers change the job, more GPUs only the bill.
  for (let n = count * 2; n <= MAX_GPUS_PER_MACHINE; n *= 2) {
    const needGb = need(w, n);
    if (needGb <= usable)
      return { change: `${n} GPUs instead of ${count}`, count: n, needGb, usableGb: usable, workload: w };
  }
  return undefined;
}
