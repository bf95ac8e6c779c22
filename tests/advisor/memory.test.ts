import { describe, expect, it } from 'vitest';
import {
  FIT_COUNTS,
  fitsOn,
  fitTable,
  minimumGpuCount,
  smallestConfigs,
  usableVramGb,
} from '../../src/advisor/fit.ts';
import {
  bytesPerParam,
  embeddingBits,
  embeddingParams,
  estimateIntermediateSize,
  estimateMemory,
  estimateMemoryPerGpu,
  kvCacheBytesPerToken,
  kvCacheGb,
  LOGITS_BYTES_PER_ENTRY,
  loraTrainableParams,
  totalMemoryForConfig,
  trainingLogitsGb,
  weightBytes,
} from '../../src/advisor/memory.ts';
import type { Task, WeightPrecision, Workload } from '../../src/advisor/types.ts';
import { GPU_CATALOG } from '../../src/cloud/gpu-catalog.ts';
import { PRECISIONS as ALL_PRECISIONS } from '../../src/tools/schemas.ts';
import {
  DEEPSEEK_V3,
  FLUX_DEV,
  GEMMA_2_9B,
  LLAMA_31_8B,
  LLAMA_31_70B,
  MIXTRAL_8X7B,
  QWEN_25_1_5B,
} from './fixtures/models.ts';
import { gpu, workload } from './fixtures/workloads.ts';

const PRECISIONS: readonly WeightPrecision[] = ALL_PRECISIONS;

/** A spread of workloads for the properties: sizes, tasks, MoE, MLA, a diffusion pipeline. */
const SAMPLES: Workload[] = [
  workload(LLAMA_31_8B),
  workload(LLAMA_31_8B, { precision: 'q4_k_m', contextTokens: 32_768, batch: 4 }),
  workload(LLAMA_31_70B, { precision: 'awq', contextTokens: 32_768, batch: 16 }),
  workload(MIXTRAL_8X7B, { precision: 'fp16' }),
  workload(DEEPSEEK_V3, { precision: 'fp8', contextTokens: 32_768 }),
  workload(FLUX_DEV, { contextTokens: 4096 }),
  workload(QWEN_25_1_5B, { task: 'full-finetune', contextTokens: 2048, batch: 8 }),
  workload(LLAMA_31_8B, { task: 'lora', contextTokens: 4096, batch: 4, gradientCheckpointing: true }),
  workload(LLAMA_31_70B, { task: 'qlora', precision: 'nf4', contextTokens: 2048, batch: 2 }),
];

describe('bytes per parameter', () => {
  it('follows the formats: fp32 4, 16-bit 2, 8-bit ~1, 4-bit ~0.5 with their scales', () => {
    expect(bytesPerParam('fp32')).toBe(4);
    expect(bytesPerParam('bf16')).toBe(2);
    expect(bytesPerParam('fp16')).toBe(2);
    expect(bytesPerParam('fp8')).toBe(1);
    expect(bytesPerParam('int8')).toBe(1);
    expect(bytesPerParam('q8_0')).toBeCloseTo(34 / 32, 10);
    expect(bytesPerParam('awq')).toBeCloseTo(4.16 / 8, 10);
    expect(bytesPerParam('gptq')).toBeCloseTo(4.16 / 8, 10);
    expect(bytesPerParam('nf4')).toBeCloseTo(4.127 / 8, 10);
  });

  it('orders the GGUF k-quants by their bit widths', () => {
    const ladder: WeightPrecision[] = ['q2_k', 'q3_k_m', 'q4_k_m', 'q5_k_m', 'q6_k', 'q8_0'];
    const bytes = ladder.map(bytesPerParam);
    for (let i = 1; i < bytes.length; i++) expect(bytes[i]).toBeGreaterThan(bytes[i - 1] ?? 0);
  });

  it('prices the body at its format and the embedding and output head at theirs', () => {
    const embedding = embeddingParams(LLAMA_31_70B);
    expect(embedding).toBe(2 * 128_256 * 8192);
    const body = 70.55e9 - embedding;
    for (const precision of PRECISIONS) {
      const { input, output } = embeddingBits(precision);
      const weights = estimateMemory(workload(LLAMA_31_70B, { precision })).weights;
      const expected = body * bytesPerParam(precision) + (embedding / 2) * ((input + output) / 8);
      expect(weights, precision).toBeCloseTo(expected / 1e9, 9);
    }
  });

  it('keeps the embedding and lm_head of AWQ, GPTQ, NF4, int8 and FP8 checkpoints in 16-bit', () => {
    const embedding = embeddingParams(LLAMA_31_8B);
    const body = 8.03e9 - embedding;
    for (const precision of ['awq', 'gptq', 'int4', 'nf4', 'int8', 'fp8'] as const) {
      expect(weightBytes(LLAMA_31_8B, precision)).toBeCloseTo(
        body * bytesPerParam(precision) + embedding * 2,
        0,
      );
    }
    // So a 4-bit Llama 3.1 8B is far more than 8.03 B × 0.5 bytes: 2.1 GB of it is 16-bit.
    expect(weightBytes(LLAMA_31_8B, 'awq') / 1e9).toBeGreaterThan(5.6);
    // Unquantized formats store every weight alike.
    expect(weightBytes(LLAMA_31_8B, 'bf16')).toBeCloseTo(8.03e9 * 2, 0);
    expect(weightBytes(LLAMA_31_8B, 'fp32')).toBeCloseTo(8.03e9 * 4, 0);
  });

  it("stores a GGUF output head as q6_K and an untied token embedding at the file's base type", () => {
    expect(embeddingBits('q4_k_m')).toEqual({ input: 4.5, output: 6.5625 });
    expect(embeddingBits('q5_k_m')).toEqual({ input: 5.5, output: 6.5625 });
    expect(embeddingBits('q8_0')).toEqual({ input: 8.5, output: 8.5 });
    // Tied, the single matrix is the output head: q6_K.
    const tied = { ...LLAMA_31_8B, tiedEmbeddings: true };
    const body = 8.03e9 - embeddingParams(tied);
    expect(weightBytes(tied, 'q4_k_m')).toBeCloseTo(
      (body * bytesPerParam('q4_k_m') * 8 + embeddingParams(tied) * 6.5625) / 8,
      0,
    );
  });

  it('holds fewer embedding bytes for a tied model than for an untied one of the same shape', () => {
    // Same layers, width and vocabulary: untying adds one vocab × hidden matrix and nothing else.
    const matrix = 151_936 * 1536;
    const untied = { ...QWEN_25_1_5B, tiedEmbeddings: false, paramsB: QWEN_25_1_5B.paramsB + matrix / 1e9 };
    expect(embeddingParams(QWEN_25_1_5B)).toBe(matrix);
    expect(embeddingParams(untied)).toBe(2 * matrix);
    for (const precision of PRECISIONS) {
      const extra = weightBytes(untied, precision) - weightBytes(QWEN_25_1_5B, precision);
      expect(extra, precision).toBeGreaterThan(0);
      expect(extra, precision).toBeCloseTo((matrix * embeddingBits(precision).input) / 8, 0);
    }
  });

  it('caps the embeddings at the parameters, and has none for a pipeline without a vocabulary', () => {
    const tiny = { ...QWEN_25_1_5B, paramsB: 0.1 };
    expect(embeddingParams(tiny)).toBe(0.1e9);
    expect(weightBytes(tiny, 'awq')).toBeCloseTo(0.1e9 * 2, 0);
    expect(embeddingParams(FLUX_DEV)).toBe(0);
  });

  it('recovers the MLP width from the parameters less the embeddings', () => {
    // config.json: intermediate_size 14336 (Llama 3.1 8B), 28672 (70B).
    expect(estimateIntermediateSize(LLAMA_31_8B) / 14_336 - 1).toBeLessThan(0.001);
    expect(Math.abs(estimateIntermediateSize(LLAMA_31_70B) / 28_672 - 1)).toBeLessThan(0.001);
  });

  it('loads every expert of a mixture-of-experts model', () => {
    const weights = estimateMemory(workload(MIXTRAL_8X7B, { precision: 'fp16' })).weights;
    expect(weights).toBeCloseTo(46.7 * 2, 6);
  });

  it('loads every component of a diffusion pipeline', () => {
    const weights = estimateMemory(workload(FLUX_DEV)).weights;
    expect(weights).toBeCloseTo((11.9 + 4.76 + 0.123 + 0.084) * 2, 6);
  });
});

describe('KV cache', () => {
  it('is 2 × layers × KV heads × head dim × bytes per token', () => {
    expect(kvCacheBytesPerToken(LLAMA_31_8B, 'fp16')).toBe(2 * 32 * 8 * 128 * 2);
    expect(kvCacheBytesPerToken(LLAMA_31_8B, 'fp8')).toBe(2 * 32 * 8 * 128);
  });

  it('uses the latent dimension for multi-head latent attention', () => {
    expect(kvCacheBytesPerToken(DEEPSEEK_V3, 'bf16')).toBe(61 * 576 * 2);
  });

  it('doubles when the context doubles and grows linearly with concurrent sequences', () => {
    for (const model of [LLAMA_31_8B, LLAMA_31_70B, DEEPSEEK_V3, MIXTRAL_8X7B]) {
      const base = kvCacheGb(workload(model, { contextTokens: 4096, batch: 2 }));
      expect(base).toBeGreaterThan(0);
      expect(kvCacheGb(workload(model, { contextTokens: 8192, batch: 2 }))).toBeCloseTo(2 * base, 9);
      expect(kvCacheGb(workload(model, { contextTokens: 4096, batch: 6 }))).toBeCloseTo(3 * base, 9);
    }
  });

  it('moves the total by exactly the KV difference when context grows', () => {
    const short = estimateMemory(workload(LLAMA_31_70B, { contextTokens: 16_000, batch: 4 }));
    const long = estimateMemory(workload(LLAMA_31_70B, { contextTokens: 32_000, batch: 4 }));
    expect(long.kv_cache).toBeCloseTo(2 * short.kv_cache, 9);
    // Activations are capped by the prefill chunk, so only the cache changes.
    expect(long.total - short.total).toBeCloseTo(long.kv_cache - short.kv_cache, 9);
  });

  it('is absent for training and for models that do not generate', () => {
    expect(estimateMemory(workload(LLAMA_31_8B, { task: 'lora' })).kv_cache).toBe(0);
    expect(estimateMemory(workload(FLUX_DEV)).kv_cache).toBe(0);
  });
});

describe('breakdown', () => {
  it('totals the parts', () => {
    for (const w of SAMPLES) {
      for (const count of FIT_COUNTS) {
        const m = estimateMemoryPerGpu(w, count);
        expect(m.total).toBeCloseTo(
          m.weights + m.kv_cache + m.activations + m.optimizer + m.gradients + m.overhead,
          9,
        );
        for (const part of Object.values(m)) expect(part).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('splits weights and KV heads across tensor-parallel GPUs and keeps the overhead on each', () => {
    const w = workload(LLAMA_31_70B, { contextTokens: 32_768, batch: 8 });
    const one = estimateMemoryPerGpu(w, 1);
    const four = estimateMemoryPerGpu(w, 4);
    expect(four.weights).toBeCloseTo(one.weights / 4, 9);
    expect(four.kv_cache).toBeCloseTo(one.kv_cache / 4, 9);
    expect(four.overhead).toBeCloseTo(one.overhead, 9);
    expect(totalMemoryForConfig(w, 4).total).toBeCloseTo(four.total * 4, 9);
  });

  it('replicates KV heads once there are more GPUs than heads, and the MLA cache on every GPU', () => {
    const qwen = workload(QWEN_25_1_5B, { contextTokens: 32_768, batch: 8 });
    expect(estimateMemoryPerGpu(qwen, 8).kv_cache).toBeCloseTo(estimateMemory(qwen).kv_cache / 2, 9);
    const deepseek = workload(DEEPSEEK_V3, { precision: 'fp8', contextTokens: 32_768 });
    expect(estimateMemoryPerGpu(deepseek, 8).kv_cache).toBeCloseTo(estimateMemory(deepseek).kv_cache, 9);
  });

  it('uses 18 bytes per parameter for a mixed-precision full fine-tune', () => {
    const m = estimateMemory(workload(QWEN_25_1_5B, { task: 'full-finetune' }));
    expect(m.weights).toBeCloseTo(1.54 * 2, 6);
    expect(m.optimizer).toBeCloseTo(1.54 * 12, 6);
    expect(m.gradients).toBeCloseTo(1.54 * 4, 6);
  });

  it('counts LoRA adapters on all linear layers close to the real count', () => {
    // PEFT reports 41,943,040 trainable parameters for Llama 3 8B at rank 16 on all linear layers
    // (d_ff 14336). Our d_ff comes from the parameter count less the embeddings.
    const adapters = loraTrainableParams(LLAMA_31_8B, 16);
    expect(Math.abs(adapters / 41_943_040 - 1)).toBeLessThan(0.001);
    expect(loraTrainableParams(LLAMA_31_8B, 32)).toBeCloseTo(2 * adapters, 3);
  });

  it('trains LoRA on a frozen 16-bit base and QLoRA on an NF4 base', () => {
    const lora = estimateMemory(workload(LLAMA_31_70B, { task: 'lora' }));
    const qlora = estimateMemory(workload(LLAMA_31_70B, { task: 'qlora', precision: 'bf16' }));
    const adapters = loraTrainableParams(LLAMA_31_70B, 16);
    expect(lora.weights).toBeCloseTo(70.55 * 2 + (adapters * 2) / 1e9, 6);
    const embedding = embeddingParams(LLAMA_31_70B);
    const nf4Base = ((70.55e9 - embedding) * 4.127) / 8 + embedding * 2;
    expect(qlora.weights).toBeCloseTo((nf4Base + adapters * 2) / 1e9, 6);
    expect(lora.optimizer).toBeCloseTo((adapters * 12) / 1e9, 9);
  });

  it('saves layer activation memory with gradient checkpointing, but not the logits', () => {
    const off = workload(LLAMA_31_8B, { task: 'full-finetune', contextTokens: 4096, batch: 4 });
    const on = { ...off, gradientCheckpointing: true };
    const logits = trainingLogitsGb(off, 4);
    expect(trainingLogitsGb(on, 4)).toBe(logits);
    expect(estimateMemory(on).activations - logits).toBeLessThan(
      (estimateMemory(off).activations - logits) / 5,
    );
  });

  it('counts sequence × batch × vocabulary logits at 6 bytes when training, none when serving', () => {
    const w = workload(GEMMA_2_9B, { task: 'lora', contextTokens: 2048, batch: 2 });
    expect(LOGITS_BYTES_PER_ENTRY).toBe(6);
    expect(trainingLogitsGb(w, 2)).toBeCloseTo((2048 * 2 * 256_000 * 6) / 1e9, 9);
    expect(trainingLogitsGb({ ...w, contextTokens: 4096 }, 2)).toBeCloseTo(2 * trainingLogitsGb(w, 2), 9);
    expect(trainingLogitsGb({ ...w, precision: 'fp32' }, 2)).toBeCloseTo((2048 * 2 * 256_000 * 4) / 1e9, 9);
    // A 256k vocabulary costs twice a 128k one at the same sequence and batch.
    const llama = workload(LLAMA_31_8B, { task: 'lora', contextTokens: 2048, batch: 2 });
    expect(trainingLogitsGb(w, 2) / trainingLogitsGb(llama, 2)).toBeCloseTo(256_000 / 128_256, 9);
    expect(estimateMemory(workload(GEMMA_2_9B, { contextTokens: 2048, batch: 2 })).activations).toBeLessThan(
      trainingLogitsGb(w, 2),
    );
    expect(trainingLogitsGb(workload(FLUX_DEV, { task: 'lora' }), 1)).toBe(0);
  });

  it('needs more to train than to serve the same model at the same precision', () => {
    for (const model of [QWEN_25_1_5B, LLAMA_31_8B, LLAMA_31_70B, MIXTRAL_8X7B]) {
      const serve = estimateMemory(workload(model, { contextTokens: 2048 })).total;
      for (const task of ['full-finetune', 'lora'] as Task[]) {
        const train = estimateMemory(workload(model, { task, contextTokens: 2048 })).total;
        expect(train).toBeGreaterThan(serve);
      }
      const serve4bit = estimateMemory(workload(model, { precision: 'nf4', contextTokens: 2048 })).total;
      const qlora = estimateMemory(workload(model, { task: 'qlora', contextTokens: 2048 })).total;
      expect(qlora).toBeGreaterThan(serve4bit);
    }
  });

  it('rejects a GPU count that is not a positive integer', () => {
    expect(() => estimateMemoryPerGpu(workload(LLAMA_31_8B), 0)).toThrow(RangeError);
    expect(() => estimateMemoryPerGpu(workload(LLAMA_31_8B), 1.5)).toThrow(RangeError);
  });
});

describe('fits', () => {
  it('is monotone in the number of GPUs', () => {
    for (const w of SAMPLES) {
      for (const model of GPU_CATALOG) {
        let fitted = false;
        for (const count of FIT_COUNTS) {
          const fits = fitsOn(w, model, count);
          if (fitted) expect(fits, `${w.model.id} on ${count}× ${model.id}`).toBe(true);
          fitted ||= fits;
        }
      }
    }
  });

  it('is monotone in usable memory', () => {
    const bySize = [...GPU_CATALOG].sort((a, b) => a.vramGb - b.vramGb);
    for (const w of SAMPLES) {
      for (const count of FIT_COUNTS) {
        let fitted = false;
        for (const model of bySize) {
          const fits = fitsOn(w, model, count);
          if (fitted) expect(fits, `${w.model.id} on ${count}× ${model.id}`).toBe(true);
          fitted ||= fits;
        }
      }
    }
  });

  it('compares the per-GPU need with 95% of nominal memory', () => {
    const w = workload(LLAMA_31_8B);
    const need = estimateMemory(w).total;
    const h100 = gpu('h100-sxm');
    expect(usableVramGb(h100)).toBeCloseTo(76, 9);
    expect(fitsOn(w, { ...h100, vramGb: need / 0.95 + 1e-6 }, 1)).toBe(true);
    expect(fitsOn(w, { ...h100, vramGb: need / 0.95 - 1e-6 }, 1)).toBe(false);
  });

  it('rents at most 8 GPUs on one machine', () => {
    expect(fitsOn(workload(LLAMA_31_8B), gpu('h100-sxm'), 16)).toBe(false);
  });

  it('lists every catalog GPU at 1, 2, 4 and 8', () => {
    const table = fitTable(workload(LLAMA_31_70B));
    expect(table).toHaveLength(GPU_CATALOG.length * 4);
    const h100x2 = table.find((row) => row.gpu === 'h100-sxm' && row.count === 2);
    expect(h100x2).toEqual({ gpu: 'h100-sxm', count: 2, vram_gb_total: 160, fits: true });
    expect(table.find((row) => row.gpu === 'h100-sxm' && row.count === 1)?.fits).toBe(false);
  });

  it('finds the smallest configuration of each GPU that can hold it, least memory first', () => {
    const w = workload(LLAMA_31_70B, { precision: 'fp16' });
    const configs = smallestConfigs(w);
    const byGpu = new Map(configs.map((c) => [c.gpu.id, c]));
    expect(byGpu.get('h200')?.count).toBe(2);
    expect(byGpu.get('h100-sxm')?.count).toBe(2);
    expect(byGpu.get('rtx-4090')?.count).toBe(8);
    expect(byGpu.has('rtx-3070')).toBe(false);
    for (const model of GPU_CATALOG) {
      expect(byGpu.get(model.id)?.count ?? null).toBe(minimumGpuCount(w, model));
    }
    for (let i = 1; i < configs.length; i++) {
      expect(configs[i]?.vram_gb_total ?? 0).toBeGreaterThanOrEqual(configs[i - 1]?.vram_gb_total ?? 0);
    }
    for (const config of configs) {
      expect(config.vram_gb_total).toBe(config.gpu.vramGb * config.count);
      expect(config.need_gb_per_gpu).toBeLessThanOrEqual(config.usable_gb_per_gpu);
    }
  });
});
