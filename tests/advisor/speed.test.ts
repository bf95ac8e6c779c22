import { describe, expect, it } from 'vitest';
import { FIT_COUNTS, fitsOn } from '../../src/advisor/fit.ts';
import {
  assumptions,
  DECODE_BANDWIDTH_EFFICIENCY,
  estimateSpeed,
  scalingEfficiency,
  trainingFlopsPerToken,
} from '../../src/advisor/speed.ts';
import type { Workload } from '../../src/advisor/types.ts';
import { DEEPSEEK_V3, FLUX_DEV, LLAMA_31_8B, LLAMA_31_70B, MIXTRAL_8X7B } from './fixtures/models.ts';
import { gpu, workload } from './fixtures/workloads.ts';

describe('decode', () => {
  it('is proportional to memory bandwidth at batch 1', () => {
    const w = workload(LLAMA_31_8B, { contextTokens: 4096 });
    const a100 = estimateSpeed(w, gpu('a100-80gb'), 1);
    const h100 = estimateSpeed(w, gpu('h100-sxm'), 1);
    expect(a100.boundBy).toBe('memory-bandwidth');
    expect(h100.boundBy).toBe('memory-bandwidth');
    expect((h100.decodeTokensPerS ?? 0) / (a100.decodeTokensPerS ?? 1)).toBeCloseTo(3350 / 2039, 9);
  });

  it('reads the weights and the half-full KV cache at the stated bandwidth efficiency', () => {
    const w = workload(LLAMA_31_8B, { contextTokens: 4096 });
    const bytes = 8.03e9 * 2 + 2048 * 2 * 32 * 8 * 128 * 2;
    const expected = (3350e9 * DECODE_BANDWIDTH_EFFICIENCY) / bytes;
    expect(estimateSpeed(w, gpu('h100-sxm'), 1).perUserTokensPerS).toBeCloseTo(expected, 6);
  });

  it('grows with the batch until it becomes compute-bound', () => {
    const h100 = gpu('h100-sxm');
    let previous = 0;
    let bound = '';
    for (const batch of [1, 4, 16, 64, 256, 1024]) {
      const speed = estimateSpeed(workload(LLAMA_31_8B, { contextTokens: 512, batch }), h100, 8);
      expect(speed.decodeTokensPerS ?? 0).toBeGreaterThan(previous);
      previous = speed.decodeTokensPerS ?? 0;
      bound = speed.boundBy;
    }
    expect(bound).toBe('compute');
  });

  it('reads only the active experts of a mixture-of-experts model at batch 1', () => {
    const w = workload(MIXTRAL_8X7B, { precision: 'fp16', contextTokens: 1024 });
    const dense = { ...w, model: { ...MIXTRAL_8X7B, activeParamsB: MIXTRAL_8X7B.paramsB } };
    const h200 = gpu('h200');
    const moe = estimateSpeed(w, h200, 1).perUserTokensPerS ?? 0;
    const all = estimateSpeed(dense, h200, 1).perUserTokensPerS ?? 0;
    expect(moe / all).toBeGreaterThan(3);
  });

  it('is faster in fp8 than fp16 on an H100, for decode and prefill', () => {
    const h100 = gpu('h100-sxm');
    const fp16 = estimateSpeed(workload(LLAMA_31_70B, { precision: 'fp16' }), h100, 2);
    const fp8 = estimateSpeed(workload(LLAMA_31_70B, { precision: 'fp8' }), h100, 2);
    expect(fp8.decodeTokensPerS ?? 0).toBeGreaterThan(1.5 * (fp16.decodeTokensPerS ?? 0));
    expect(fp8.prefillTokensPerS ?? 0).toBeGreaterThan(1.5 * (fp16.prefillTokensPerS ?? 0));
  });

  it('uses FP16 tensor cores for fp8 weights on GPUs without FP8', () => {
    const a100 = gpu('a100-80gb');
    const fp16 = estimateSpeed(workload(LLAMA_31_8B, { precision: 'fp16' }), a100, 1);
    const fp8 = estimateSpeed(workload(LLAMA_31_8B, { precision: 'fp8' }), a100, 1);
    expect(fp8.prefillTokensPerS).toBeCloseTo(fp16.prefillTokensPerS ?? 0, 6);
    expect(fp8.decodeTokensPerS ?? 0).toBeGreaterThan(fp16.decodeTokensPerS ?? 0);
  });

  it('reports input throughput only for models that do not generate', () => {
    const speed = estimateSpeed(workload(FLUX_DEV, { contextTokens: 4096 }), gpu('h100-sxm'), 1);
    expect(speed.prefillTokensPerS ?? 0).toBeGreaterThan(0);
    expect(speed.decodeTokensPerS).toBeUndefined();
  });
});

describe('more GPUs', () => {
  const cases: Array<[string, Workload]> = [
    ['8B, one user', workload(LLAMA_31_8B)],
    ['8B, 32 users', workload(LLAMA_31_8B, { contextTokens: 4096, batch: 32 })],
    ['70B awq, 16 users', workload(LLAMA_31_70B, { precision: 'awq', contextTokens: 32_768, batch: 16 })],
    ['Mixtral fp16', workload(MIXTRAL_8X7B, { precision: 'fp16', batch: 8 })],
    [
      'DeepSeek V3 fp8, long context',
      workload(DEEPSEEK_V3, { precision: 'fp8', contextTokens: 65_536, batch: 4 }),
    ],
  ];

  it.each(cases)('are never slower: %s', (_name, w) => {
    for (const id of ['rtx-4090', 'a100-80gb', 'h100-sxm', 'h200', 'mi300x']) {
      const model = gpu(id);
      let previous = 0;
      for (const count of FIT_COUNTS) {
        if (!fitsOn(w, model, count)) continue;
        const speed = estimateSpeed(w, model, count).decodeTokensPerS ?? 0;
        expect(speed, `${count}× ${id}`).toBeGreaterThanOrEqual(previous);
        previous = speed;
      }
    }
  });

  it('lose more per doubling over PCIe than over NVLink', () => {
    expect(scalingEfficiency(gpu('h100-sxm'), 8)).toBeCloseTo(0.9 ** 3, 9);
    expect(scalingEfficiency(gpu('rtx-4090'), 8)).toBeCloseTo(0.75 ** 3, 9);
    expect(scalingEfficiency(gpu('h100-sxm'), 1)).toBe(1);
  });

  it('train faster, and a PCIe machine of 8 is limited by its interconnect', () => {
    const w = workload(LLAMA_31_8B, { task: 'lora', contextTokens: 2048, batch: 8 });
    for (const id of ['rtx-4090', 'h100-sxm']) {
      let previous = 0;
      for (const count of FIT_COUNTS) {
        const speed = estimateSpeed(w, gpu(id), count).trainTokensPerS ?? 0;
        expect(speed).toBeGreaterThan(previous);
        previous = speed;
      }
    }
    expect(estimateSpeed(w, gpu('rtx-4090'), 8).boundBy).toBe('interconnect');
    expect(estimateSpeed(w, gpu('h100-sxm'), 8).boundBy).toBe('compute');
  });
});

describe('training', () => {
  it('takes tokens / tokens-per-second for the run', () => {
    const w = workload(LLAMA_31_8B, {
      task: 'full-finetune',
      contextTokens: 4096,
      batch: 4,
      trainingTokens: 1e9,
    });
    const speed = estimateSpeed(w, gpu('h100-sxm'), 8);
    expect(speed.trainHours).toBeCloseTo(1e9 / (speed.trainTokensPerS ?? 1) / 3600, 9);
    expect(speed.boundBy).toBe('compute');
  });

  it('costs 6 × parameters FLOPs per token for a full fine-tune and 2/3 of that for LoRA', () => {
    const full = workload(LLAMA_31_8B, { task: 'full-finetune', contextTokens: 0 });
    expect(trainingFlopsPerToken(full)).toBeCloseTo(6 * 8.03e9, 0);
    expect(trainingFlopsPerToken({ ...full, task: 'lora' })).toBeCloseTo(4 * 8.03e9, 0);
    expect(trainingFlopsPerToken({ ...full, gradientCheckpointing: true })).toBeCloseTo(8 * 8.03e9, 0);
  });

  it('is slower with QLoRA than LoRA, and slower on a GeForce card than its listed TFLOPS suggest', () => {
    const lora = workload(LLAMA_31_8B, { task: 'lora', contextTokens: 2048 });
    const qlora = { ...lora, task: 'qlora' as const, precision: 'nf4' as const };
    const l40s = gpu('l40s');
    expect(estimateSpeed(qlora, l40s, 1).trainTokensPerS ?? 0).toBeLessThan(
      estimateSpeed(lora, l40s, 1).trainTokensPerS ?? 0,
    );
    const rtx4090 = gpu('rtx-4090');
    const perTflop = (id: string) =>
      (estimateSpeed(lora, gpu(id), 1).trainTokensPerS ?? 0) / gpu(id).fp16Tflops;
    expect(perTflop(rtx4090.id)).toBeCloseTo(perTflop('l40s') / 2, 6);
  });
});

describe('assumptions', () => {
  it('states each efficiency and bound with its number', () => {
    const text = assumptions();
    expect(text.length).toBeGreaterThan(10);
    const joined = text.join('\n');
    for (const figure of ['70%', '50%', '40%', '90%', '75%', '95%', '18 bytes', '34 bytes', '4.16 bits']) {
      expect(joined).toContain(figure);
    }
  });
});
