import { describe, expect, it } from 'vitest';
import type { Workload } from '../../src/advisor/types.ts';
import {
  buildWorkload,
  type RecommendGpuInput,
  UNSPECIFIED_MODEL,
  WORKLOAD_DEFAULTS,
} from '../../src/advisor/workload.ts';

function workload(args: RecommendGpuInput): Workload {
  const built = buildWorkload(args);
  if (!('workload' in built))
    throw new Error(`expected a workload for ${JSON.stringify(args)}, got ${JSON.stringify(built)}`);
  return built.workload;
}

describe('serving defaults', () => {
  it('serves a catalog model at its native precision, 8k context, one user, stating nothing', () => {
    expect(workload({ model: 'Llama 3.1 8B' })).toMatchObject({
      task: 'inference',
      precision: 'bf16',
      kvPrecision: 'fp16',
      contextTokens: WORKLOAD_DEFAULTS.inferenceContext,
      batch: 1,
      gradientCheckpointing: false,
      modelEstimated: false,
      stated: [],
    });
  });

  it('caps the default context at what the model supports', () => {
    expect(workload({ model: 'llama 2 7b' }).contextTokens).toBe(4096);
    expect(workload({ model: 'falcon 40b' }).contextTokens).toBe(2048);
    expect(workload({ model: 'bge-large-en-v1.5' }).contextTokens).toBe(512);
    expect(workload({ model: 'whisper' }).contextTokens).toBe(448);
  });

  it('keeps fp16 for models released in fp16 and fp8 for those released in fp8, with an fp8 KV cache', () => {
    expect(workload({ model: 'command r' }).precision).toBe('fp16');
    expect(workload({ model: 'deepseek v3' })).toMatchObject({ precision: 'fp8', kvPrecision: 'fp8' });
    expect(workload({ model: 'deepseek r1' })).toMatchObject({ precision: 'fp8', kvPrecision: 'fp8' });
  });

  it('serves fp32 checkpoints at half precision: bf16 for language models, fp16 for the rest', () => {
    expect(workload({ model: 'gemma 2 2b' }).precision).toBe('bf16');
    expect(workload({ model: 'sd 1.5' }).precision).toBe('fp16');
    expect(workload({ model: 'bge-m3' }).precision).toBe('fp16');
  });

  it('keeps the KV cache at 16 bits for quantised weights and at 8 bits next to fp8 weights', () => {
    expect(workload({ model: 'llama 3.1 70b', precision: 'awq' }).kvPrecision).toBe('fp16');
    expect(workload({ model: 'llama 3.1 70b', precision: 'fp8' }).kvPrecision).toBe('fp8');
  });

  it('reads image models at their native resolution, one image at a time, whatever task was asked', () => {
    expect(workload({ model: 'sdxl' })).toMatchObject({ contextTokens: 1024, batch: 1, task: 'inference' });
    expect(workload({ model: 'flux dev' })).toMatchObject({ contextTokens: 1024, precision: 'bf16' });
    expect(workload({ model: 'sd 1.5' }).contextTokens).toBe(512);
    expect(workload({ model: 'sdxl', task: 'lora', context_tokens: 768, concurrent_users: 4 })).toMatchObject(
      {
        task: 'inference',
        contextTokens: 768,
        batch: 4,
        stated: ['context', 'batch'],
      },
    );
  });

  it('serves speech and embedding models', () => {
    expect(workload({ model: 'whisper large', task: 'full-finetune' }).task).toBe('inference');
    expect(workload({ model: 'bge-m3', concurrent_users: 64 })).toMatchObject({
      task: 'inference',
      batch: 64,
    });
  });
});

describe('training defaults', () => {
  it('runs QLoRA on an NF4 base with rank 16, 2048-token sequences, micro-batch 1 and checkpointing', () => {
    expect(workload({ model: 'llama 3.3 70b', task: 'qlora' })).toMatchObject({
      task: 'qlora',
      precision: 'nf4',
      kvPrecision: 'fp16',
      contextTokens: WORKLOAD_DEFAULTS.trainingSeqLen,
      batch: 1,
      gradientCheckpointing: true,
      loraRank: 16,
      stated: ['task'],
    });
  });

  it('runs LoRA on a bf16 base and a full fine-tune in bf16 mixed precision', () => {
    expect(workload({ model: 'gemma 2 9b', task: 'lora' }).precision).toBe('bf16');
    expect(workload({ model: 'qwen2.5 1.5b', task: 'full-finetune' }).precision).toBe('bf16');
    expect(workload({ model: 'deepseek r1 distill qwen 7b', task: 'full-finetune' }).precision).toBe('bf16');
  });

  it('takes the sequence length from seq_len, or from context_tokens when only that is given', () => {
    expect(workload({ model: 'llama 3 8b', task: 'lora', seq_len: 4096 })).toMatchObject({
      contextTokens: 4096,
      stated: ['task', 'seq'],
    });
    expect(workload({ model: 'llama 3 8b', task: 'lora', context_tokens: 8192 })).toMatchObject({
      contextTokens: 8192,
      stated: ['task', 'context'],
    });
  });

  it('uses batch_size as the micro-batch and ignores concurrent users', () => {
    expect(
      workload({ model: 'llama 3 8b', task: 'full-finetune', batch_size: 8, concurrent_users: 32 }).batch,
    ).toBe(8);
    expect(workload({ model: 'llama 3 8b', task: 'full-finetune', concurrent_users: 32 }).batch).toBe(1);
  });

  it('records what was stated and keeps what was asked', () => {
    const w = workload({
      model: 'mixtral 8x7b',
      task: 'qlora',
      precision: 'gptq',
      seq_len: 8192,
      batch_size: 4,
      lora_rank: 64,
      gradient_checkpointing: false,
      training_tokens: 5e8,
    });
    expect(w).toMatchObject({
      precision: 'gptq',
      contextTokens: 8192,
      batch: 4,
      loraRank: 64,
      gradientCheckpointing: false,
      trainingTokens: 5e8,
    });
    expect([...w.stated].sort()).toEqual(['batch', 'checkpointing', 'precision', 'rank', 'seq', 'task']);
  });

  it('keeps the size of a training run only for training', () => {
    expect(workload({ model: 'llama 3 8b', task: 'lora', training_tokens: 1e9 }).trainingTokens).toBe(1e9);
    expect(workload({ model: 'llama 3 8b', training_tokens: 1e9 }).trainingTokens).toBeUndefined();
  });
});

describe('what was stated', () => {
  it('lists precision, context and users when given, and keeps a context longer than the model supports', () => {
    const w = workload({
      model: 'qwen2.5-72b',
      task: 'inference',
      precision: 'awq',
      context_tokens: 32768,
      concurrent_users: 16,
    });
    expect(w).toMatchObject({ precision: 'awq', contextTokens: 32768, batch: 16 });
    expect([...w.stated].sort()).toEqual(['batch', 'context', 'precision', 'task']);
    expect(workload({ model: 'llama 2 7b', context_tokens: 32768 }).contextTokens).toBe(32768);
  });

  it('takes batch_size as the number of sequences served when no users are given', () => {
    expect(workload({ model: 'llama 3 8b', batch_size: 8 })).toMatchObject({ batch: 8, stated: ['batch'] });
  });
});

describe('models outside the catalog', () => {
  it.each([
    ['20B', 20],
    ['a 7b model', 7],
    ['1.5B params', 1.5],
    ['70 billion', 70],
    ['my-finetune-13b', 13],
  ] as const)('sizes "%s" from its parameter count (%sB)', (model, paramsB) => {
    const w = workload({ model });
    expect(w.modelEstimated).toBe(true);
    expect(w.model.paramsB).toBe(paramsB);
    expect(w.model.family).toBe('estimated');
  });

  it('keeps an unknown model name in the estimated model name', () => {
    expect(workload({ model: 'my-finetune-13b' }).model.name).toContain('my-finetune-13b');
    expect(workload({ model: '20B' }).model.name).toBe('20B model, estimated shape');
  });

  it('reads a mixture of experts from a total-active size', () => {
    expect(workload({ model: '30B-A3B' }).model).toMatchObject({
      kind: 'moe',
      paramsB: 30,
      activeParamsB: 3,
    });
  });

  it('asks for the size of a named model it does not know', () => {
    const built = buildWorkload({ model: 'foobar-chat' });
    expect(built).toEqual({ needSize: expect.stringContaining('"foobar-chat"') });
    expect('needSize' in built && built.needSize).toMatch(/parameters/);
  });

  it.each([UNSPECIFIED_MODEL, 'my model', 'the model', 'an llm', 'it'])(
    'asks which model when "%s" names none',
    (model) => {
      const built = buildWorkload({ model });
      expect('needSize' in built && built.needSize).toMatch(/which model is it\?.*parameters/i);
    },
  );

  it('offers real releases for a family it knows at a size that family lacks', () => {
    const built = buildWorkload({ model: 'llama 3 13b' });
    expect(built).toMatchObject({ unknownModel: 'llama 3 13b' });
    expect('unknownModel' in built && built.suggestions).toContain('Llama 2 13B');
  });

  it('offers the sizes of a family named without one', () => {
    const built = buildWorkload({ model: 'stable diffusion' });
    expect('unknownModel' in built && built.suggestions).toEqual(
      expect.arrayContaining([
        'Stable Diffusion 1.5',
        'Stable Diffusion XL Base 1.0',
        'Stable Diffusion 3 Medium',
      ]),
    );
  });
});
