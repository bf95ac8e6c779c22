/**
 * The memory model against published figures. Weights and KV cache must come within ±10% of the
 * published number, totals within ±20%, and every fits / does-not-fit verdict must agree.
 *
 * Run with ADVISOR_REFERENCE_REPORT=1 to print each row's estimate and error.
 */
import { describe, expect, it } from 'vitest';
import { fitsOn, usableVramGb } from '../../src/advisor/fit.ts';
import { estimateMemory, estimateMemoryPerGpu, kvCacheGb } from '../../src/advisor/memory.ts';
import type { Workload } from '../../src/advisor/types.ts';
import {
  DEEPSEEK_V3,
  FLUX_DEV,
  LLAMA_1_33B,
  LLAMA_1_65B,
  LLAMA_2_70B,
  LLAMA_31_8B,
  LLAMA_31_70B,
  LLAMA_31_405B,
  MIXTRAL_8X7B,
  QWEN_25_1_5B,
} from './fixtures/models.ts';
import { GIB, gpu, workload } from './fixtures/workloads.ts';

type Check =
  /** Weights, GB: ±10%. */
  | { kind: 'weights'; gb: number }
  /** KV cache, GB: ±10%. */
  | { kind: 'kv'; gb: number }
  /** Weights + optimizer state + gradients, GB: ±10%. */
  | { kind: 'model-states'; gb: number }
  /** Everything, GB: ±20%. */
  | { kind: 'total'; gb: number }
  /** A published lower bound on the total, GB. */
  | { kind: 'at-least'; gb: number }
  | { kind: 'fits'; gpu: string; count: number; fits: boolean };

interface Row {
  name: string;
  workload: Workload;
  check: Check;
  /** The published statement, in its own units. */
  published: string;
  source: string;
}

const LLAMA31_BLOG = 'https://huggingface.co/blog/llama31#inference-memory-requirements';
const MIXTRAL_REQUIREMENT = 'https://huggingface.co/mistralai/Mixtral-8x7B-Instruct-v0.1/discussions/128';
const SGLANG_DEEPSEEK = 'https://github.com/sgl-project/sglang/blob/main/docs/basic_usage/deepseek_v3.md';
const QLORA_PAPER = 'https://arxiv.org/abs/2305.14314';
const MEMORY_ANATOMY = 'https://huggingface.co/docs/transformers/model_memory_anatomy';
const LLAMA_QUANTIZE = 'https://github.com/ggml-org/llama.cpp/blob/master/tools/quantize/quantize.cpp';
const LLAMA2_70B_4BIT = 'https://kaitchup.substack.com/p/run-llama-2-70b-on-your-gpu-with';
const FLUX_VRAM = 'https://huggingface.co/black-forest-labs/FLUX.1-schnell/discussions/5';

const fp16 = { precision: 'fp16' } as const;
/**
 * The blog's KV table is in GiB and its "16k"/"128k" are 16,000/128,000 tokens: 128,000 × 128 KiB per
 * token (Llama 3.1 8B) = 16.78 × 10^9 bytes = 15.62 GiB, the published figure. "1k" is compared at
 * 1,000 tokens (the blog's 0.125 GiB is 1,024 tokens, so that row reads 2.3% low).
 */
const kvRow = (model: typeof LLAMA_31_8B, tokens: number, gib: number, label: string): Row => ({
  name: `${model.name} KV cache, fp16, ${label}`,
  workload: workload(model, { ...fp16, contextTokens: tokens }),
  check: { kind: 'kv', gb: gib * GIB },
  published: `${gib} GB (GiB) for ${label}`,
  source: LLAMA31_BLOG,
});

const ROWS: Row[] = [
  // Hugging Face "Llama 3.1 - 405B, 70B & 8B": weights needed to load each checkpoint.
  ...(
    [
      [LLAMA_31_8B, 16, 8, 4],
      [LLAMA_31_70B, 140, 70, 35],
      [LLAMA_31_405B, 810, 405, 203],
    ] as const
  ).flatMap(([model, f16, f8, i4]): Row[] => [
    {
      name: `${model.name} weights, FP16`,
      workload: workload(model, fp16),
      check: { kind: 'weights', gb: f16 },
      published: `${f16} GB`,
      source: LLAMA31_BLOG,
    },
    {
      name: `${model.name} weights, FP8`,
      workload: workload(model, { precision: 'fp8' }),
      check: { kind: 'weights', gb: f8 },
      published: `${f8} GB`,
      source: LLAMA31_BLOG,
    },
    {
      name: `${model.name} weights, INT4`,
      workload: workload(model, { precision: 'int4' }),
      check: { kind: 'weights', gb: i4 },
      published: `${i4} GB`,
      source: LLAMA31_BLOG,
    },
  ]),
  kvRow(LLAMA_31_8B, 1000, 0.125, '1k tokens'),
  kvRow(LLAMA_31_8B, 16_000, 1.95, '16k tokens'),
  kvRow(LLAMA_31_8B, 128_000, 15.62, '128k tokens'),
  kvRow(LLAMA_31_70B, 1000, 0.313, '1k tokens'),
  kvRow(LLAMA_31_70B, 16_000, 4.88, '16k tokens'),
  kvRow(LLAMA_31_70B, 128_000, 39.06, '128k tokens'),
  {
    name: 'Llama 3.1 405B FP16 on one 8× H100 node',
    workload: workload(LLAMA_31_405B, fp16),
    check: { kind: 'fits', gpu: 'h100-sxm', count: 8, fits: false },
    published: 'an 8× H100 node has ~640 GB; 405B needs multi-node or lower precision',
    source: LLAMA31_BLOG,
  },
  {
    name: 'Llama 3.1 405B FP8 on one 8× H100 node',
    workload: workload(LLAMA_31_405B, { precision: 'fp8' }),
    check: { kind: 'fits', gpu: 'h100-sxm', count: 8, fits: true },
    published: 'FP8 on one node is the recommended approach',
    source: LLAMA31_BLOG,
  },
  {
    name: 'Llama 3.1 70B FP16 on one 80 GB GPU',
    workload: workload(LLAMA_31_70B, fp16),
    check: { kind: 'fits', gpu: 'h100-sxm', count: 1, fits: false },
    published: '140 GB of FP16 weights',
    source: LLAMA31_BLOG,
  },
  {
    name: 'Llama 3.1 8B FP16, 8k context, on a 24 GB card',
    workload: workload(LLAMA_31_8B, fp16),
    check: { kind: 'fits', gpu: 'rtx-4090', count: 1, fits: true },
    published: '16 GB of FP16 weights',
    source: LLAMA31_BLOG,
  },
  // Mistral's stated requirement, quoted by Mistral AI on the model's discussion page.
  {
    name: 'Mixtral 8x7B FP16, 32k context: total',
    workload: workload(MIXTRAL_8X7B, { ...fp16, contextTokens: 32_768 }),
    check: { kind: 'total', gb: 100 },
    published: '"Mixtral requires 100GB of VRAM" (docs.mistral.ai)',
    source: MIXTRAL_REQUIREMENT,
  },
  {
    name: 'Mixtral 8x7B FP16 on one A100 80GB',
    workload: workload(MIXTRAL_8X7B, { ...fp16, contextTokens: 32_768 }),
    check: { kind: 'fits', gpu: 'a100-80gb', count: 1, fits: false },
    published: '"To run the original model you will require 2 GPUs"',
    source: MIXTRAL_REQUIREMENT,
  },
  {
    name: 'Mixtral 8x7B FP16 on two A100 80GB',
    workload: workload(MIXTRAL_8X7B, { ...fp16, contextTokens: 32_768 }),
    check: { kind: 'fits', gpu: 'a100-80gb', count: 2, fits: true },
    published: '"To run the original model you will require 2 GPUs"',
    source: MIXTRAL_REQUIREMENT,
  },
  // SGLang's recommended DeepSeek V3/R1 configurations (32k context, one sequence).
  ...(
    [
      ['fp8', 'h200', true, 'FP8: 8 x H200'],
      ['fp8', 'h100-sxm', false, 'FP8: 2 x 8 x H100 (one node of 8 is not enough)'],
      ['fp8', 'mi300x', true, 'FP8: 8 x MI300X'],
      ['bf16', 'h200', false, 'BF16: 2 x 8 x H200'],
      ['awq', 'a100-80gb', true, 'AWQ: 8 x A100/A800'],
    ] as const
  ).map(
    ([precision, gpuId, fits, published]): Row => ({
      name: `DeepSeek V3 ${precision.toUpperCase()} on 8× ${gpuId}`,
      workload: workload(DEEPSEEK_V3, { precision, contextTokens: 32_768 }),
      check: { kind: 'fits', gpu: gpuId, count: 8, fits },
      published,
      source: SGLANG_DEEPSEEK,
    }),
  ),
  // QLoRA: rank 16 on every linear layer is 0.3% of the weights; the paper's memory analysis assumes
  // LoRA weights of 0.2% of the model. Sequence 512, batch 1, gradient checkpointing, as in the paper.
  {
    name: 'LLaMA 65B QLoRA on one 48 GB GPU',
    workload: workload(LLAMA_1_65B, {
      task: 'qlora',
      precision: 'nf4',
      contextTokens: 512,
      gradientCheckpointing: true,
    }),
    check: { kind: 'fits', gpu: 'rtx-a6000', count: 1, fits: true },
    published: 'finetune a 65B parameter model on a single 48GB GPU',
    source: QLORA_PAPER,
  },
  {
    name: 'LLaMA 33B QLoRA on one 24 GB consumer GPU',
    workload: workload(LLAMA_1_33B, {
      task: 'qlora',
      precision: 'nf4',
      contextTokens: 512,
      gradientCheckpointing: true,
    }),
    check: { kind: 'fits', gpu: 'rtx-4090', count: 1, fits: true },
    published: 'Guanaco 33B trainable in under 12 hours on a single consumer GPU',
    source: QLORA_PAPER,
  },
  {
    name: 'LLaMA 65B full 16-bit fine-tune: total',
    workload: workload(LLAMA_1_65B, {
      task: 'full-finetune',
      contextTokens: 512,
      gradientCheckpointing: true,
    }),
    check: { kind: 'at-least', gb: 780 },
    published: 'more than 780 GB of GPU memory for regular 16-bit finetuning',
    source: QLORA_PAPER,
  },
  // transformers' guide: 18 bytes per parameter for mixed-precision AdamW, plus activations.
  {
    name: 'Qwen2.5 1.5B full fine-tune: weights + optimizer + gradients',
    workload: workload(QWEN_25_1_5B, { task: 'full-finetune', contextTokens: 2048 }),
    check: { kind: 'model-states', gb: 27 },
    published: '18 bytes per parameter × 1.5 B = 27 GB, plus activation memory',
    source: MEMORY_ANATOMY,
  },
  {
    name: 'Qwen2.5 1.5B full fine-tune on a 24 GB card',
    workload: workload(QWEN_25_1_5B, { task: 'full-finetune', contextTokens: 2048 }),
    check: { kind: 'fits', gpu: 'rtx-4090', count: 1, fits: false },
    published: '27 GB before activations',
    source: MEMORY_ANATOMY,
  },
  // llama-quantize's table of file sizes for Llama-3-8B, in GiB. The k-quant bits per weight in
  // memory.ts come from this table, so the Q4_K_M row checks the units; Q8_0 is the format's own
  // 34 bytes per 32 weights and checks the arithmetic independently.
  {
    name: 'Llama 3 8B GGUF Q8_0 weights',
    workload: workload(LLAMA_31_8B, { precision: 'q8_0' }),
    check: { kind: 'weights', gb: 7.96 * GIB },
    published: '7.96G (GiB)',
    source: LLAMA_QUANTIZE,
  },
  {
    name: 'Llama 3 8B GGUF Q4_K_M weights',
    workload: workload(LLAMA_31_8B, { precision: 'q4_k_m' }),
    check: { kind: 'weights', gb: 4.58 * GIB },
    published: '4.58G (GiB)',
    source: LLAMA_QUANTIZE,
  },
  {
    name: 'Llama 2 70B 4-bit GPTQ weights',
    workload: workload(LLAMA_2_70B, { precision: 'gptq', contextTokens: 4096 }),
    check: { kind: 'weights', gb: 35 },
    published: '~35 GB (70B × 0.5 bytes)',
    source: LLAMA2_70B_4BIT,
  },
  {
    name: 'Llama 2 70B 4-bit GPTQ, 4k context, on one 24 GB GPU',
    workload: workload(LLAMA_2_70B, { precision: 'gptq', contextTokens: 4096 }),
    check: { kind: 'fits', gpu: 'rtx-4090', count: 1, fits: false },
    published: "won't fit on a single 24 GB GPU",
    source: LLAMA2_70B_4BIT,
  },
  {
    name: 'Llama 2 70B 4-bit GPTQ, 4k context, on two 24 GB GPUs',
    workload: workload(LLAMA_2_70B, { precision: 'gptq', contextTokens: 4096 }),
    check: { kind: 'fits', gpu: 'rtx-3090', count: 2, fits: true },
    published: 'could fit into 2 consumer GPUs',
    source: LLAMA2_70B_4BIT,
  },
  // FLUX.1 with every part resident: 12 B transformer + 4.5 B of text encoders in bf16.
  {
    name: 'FLUX.1 dev bf16, all components on the GPU: weights',
    workload: workload(FLUX_DEV, { contextTokens: 4608 }),
    check: { kind: 'weights', gb: 33 },
    published: '"Flux uses about 33 GB VRAM"',
    source: FLUX_VRAM,
  },
  {
    name: 'FLUX.1 dev bf16, all components, on a 24 GB card',
    workload: workload(FLUX_DEV, { contextTokens: 4608 }),
    check: { kind: 'fits', gpu: 'rtx-4090', count: 1, fits: false },
    published: 'only with model CPU offloading does it go down to 24 GB',
    source: FLUX_VRAM,
  },
];

function estimateFor(row: Row): number {
  const memory = estimateMemory(row.workload);
  switch (row.check.kind) {
    case 'weights':
      return memory.weights;
    case 'kv':
      return kvCacheGb(row.workload);
    case 'model-states':
      return memory.weights + memory.optimizer + memory.gradients;
    case 'total':
    case 'at-least':
      return memory.total;
    case 'fits':
      // What each GPU of the configuration must hold.
      return estimateMemoryPerGpu(row.workload, row.check.count).total;
  }
}

function relativeError(row: Row): number | undefined {
  if (row.check.kind === 'fits' || row.check.kind === 'at-least') return undefined;
  return estimateFor(row) / row.check.gb - 1;
}

describe('memory model against published figures', () => {
  it('has at least 18 sourced data points', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(18);
    for (const row of ROWS) expect(row.source).toMatch(/^https:\/\//);
  });

  it.each(ROWS.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const check = row.check;
    switch (check.kind) {
      case 'weights':
      case 'kv':
      case 'model-states':
        expect(Math.abs(relativeError(row) ?? Number.NaN)).toBeLessThanOrEqual(0.1);
        break;
      case 'total':
        expect(Math.abs(relativeError(row) ?? Number.NaN)).toBeLessThanOrEqual(0.2);
        break;
      case 'at-least':
        expect(estimateFor(row)).toBeGreaterThanOrEqual(check.gb);
        break;
      case 'fits':
        expect(fitsOn(row.workload, gpu(check.gpu), check.count)).toBe(check.fits);
        break;
    }
  });

  it('differs from the blog on Llama 3.1 405B KV cache by exactly the KV-head count', () => {
    // The blog lists 123.05 GiB at 128k tokens, twice what config.json's 8 KV heads give (61.52 GiB);
    // it matches 16 KV heads (huggingface/blog issue 2345). We follow config.json.
    const kv = kvCacheGb(workload(LLAMA_31_405B, { ...fp16, contextTokens: 128_000 }));
    expect(kv / GIB).toBeCloseTo(61.52, 1);
    expect((kv * 2) / GIB / 123.05 - 1).toBeLessThan(0.001);
  });

  if (process.env.ADVISOR_REFERENCE_REPORT) {
    it('prints the table', () => {
      const table = ROWS.map((row) => {
        const error = relativeError(row);
        const check = row.check;
        return {
          row: row.name,
          published: row.published,
          estimate_gb: Number(estimateFor(row).toFixed(2)), // per GPU for fits rows
          result:
            check.kind === 'fits'
              ? `${check.count}× ${check.gpu} (usable ${usableVramGb(gpu(check.gpu)).toFixed(1)} GB each): ` +
                `${fitsOn(row.workload, gpu(check.gpu), check.count) ? 'fits' : 'does not fit'}`
              : error === undefined
                ? `≥ ${check.gb}`
                : `${(error * 100).toFixed(1)}%`,
        };
      });
      console.table(table);
    });
  }
});
