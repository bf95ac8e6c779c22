import { describe, expect, it } from 'vitest';
import {
  findModelMention,
  MODEL_CATALOG,
  modelById,
  normaliseModelText,
  parseParamCount,
  resolveModel,
  suggestModels,
  syntheticModel,
} from '../../src/advisor/models/index.ts';
import type { ModelSpec } from '../../src/advisor/types.ts';

/** KV-cache bytes per token at 16 bits, from the architecture alone. */
function kvBytesPerToken(m: ModelSpec): number {
  if (m.mlaCacheDim !== undefined) return m.layers * m.mlaCacheDim * 2;
  return 2 * m.layers * m.kvHeads * m.headDim * 2;
}

function byId(id: string): ModelSpec {
  const model = modelById(id);
  if (!model) throw new Error(`no model ${id} in the catalog`);
  return model;
}

// These configs set head_dim explicitly to something other than hidden / heads.
const EXPLICIT_HEAD_DIM = new Set([
  'gemma-2-2b',
  'gemma-2-9b',
  'gemma-2-27b',
  'gemma-3-4b',
  'gemma-3-12b',
  'gemma-3-27b',
  'qwen3-32b',
  'qwen3-30b-a3b',
  'qwen3-235b-a22b',
  'mistral-nemo-12b',
  'mistral-small-24b',
  'deepseek-v3',
  'deepseek-r1',
]);

describe('the model catalog', () => {
  it('holds at least 45 models with unique ids and names', () => {
    expect(MODEL_CATALOG.length).toBeGreaterThanOrEqual(45);
    expect(new Set(MODEL_CATALOG.map((m) => m.id)).size).toBe(MODEL_CATALOG.length);
    expect(new Set(MODEL_CATALOG.map((m) => m.name)).size).toBe(MODEL_CATALOG.length);
  });

  it.each(MODEL_CATALOG.map((m) => [m.id, m] as const))('gives %s positive, whole figures', (_id, m) => {
    for (const value of [
      m.paramsB,
      m.activeParamsB,
      m.layers,
      m.hiddenSize,
      m.attentionHeads,
      m.kvHeads,
      m.headDim,
      m.maxContext,
    ]) {
      expect(value).toBeGreaterThan(0);
      expect(Number.isFinite(value)).toBe(true);
    }
    for (const value of [m.layers, m.hiddenSize, m.attentionHeads, m.kvHeads, m.headDim, m.maxContext]) {
      expect(Number.isInteger(value)).toBe(true);
    }
    expect(m.source).toMatch(/^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+/);
  });

  it.each(MODEL_CATALOG.map((m) => [m.id, m] as const))(
    'shares %s query heads evenly over its KV heads',
    (_id, m) => {
      expect(m.kvHeads).toBeLessThanOrEqual(m.attentionHeads);
      expect(m.attentionHeads % m.kvHeads).toBe(0);
    },
  );

  it.each(MODEL_CATALOG.filter((m) => !EXPLICIT_HEAD_DIM.has(m.id)).map((m) => [m.id, m] as const))(
    'makes %s head dimension × heads equal its hidden size, as its config implies',
    (_id, m) => {
      expect(m.headDim * m.attentionHeads).toBe(m.hiddenSize);
    },
  );

  it('keeps the explicit-head_dim list honest: those models really differ from hidden / heads', () => {
    for (const id of EXPLICIT_HEAD_DIM) {
      const m = byId(id);
      expect(m.headDim * m.attentionHeads, id).not.toBe(m.hiddenSize);
    }
  });

  it('gives every mixture of experts fewer active than total parameters, and dense models equal ones', () => {
    for (const m of MODEL_CATALOG) {
      if (m.kind === 'moe') expect(m.activeParamsB, m.id).toBeLessThan(m.paramsB);
      else expect(m.activeParamsB, m.id).toBe(m.paramsB);
    }
    expect(MODEL_CATALOG.filter((m) => m.kind === 'moe').map((m) => m.id)).toEqual(
      expect.arrayContaining([
        'mixtral-8x7b',
        'mixtral-8x22b',
        'qwen3-30b-a3b',
        'qwen3-235b-a22b',
        'deepseek-v3',
        'deepseek-r1',
      ]),
    );
  });

  it('describes DeepSeek V3 and R1 as 671B/37B MLA models with 61 layers and native fp8', () => {
    for (const id of ['deepseek-v3', 'deepseek-r1']) {
      expect(byId(id)).toMatchObject({
        paramsB: 671,
        activeParamsB: 37,
        layers: 61,
        mlaCacheDim: 576,
        nativePrecision: 'fp8',
      });
    }
  });

  it('lists the parts of image-generation models that sit in GPU memory, adding up to the total', () => {
    for (const m of MODEL_CATALOG.filter((x) => x.kind === 'diffusion')) {
      const parts = Object.values(m.components ?? {});
      expect(parts.length, m.id).toBeGreaterThanOrEqual(3);
      const sum = parts.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - m.paramsB) / m.paramsB, m.id).toBeLessThan(0.02);
    }
    expect(byId('sdxl-base').components).toMatchObject({ unet: 2.567 });
    expect(byId('flux.1-dev').components).toMatchObject({ transformer: 11.9, t5_xxl: 4.76 });
    expect(byId('sd3-medium').components).toMatchObject({ mmdit: 2.03, t5_xxl: 4.76 });
  });

  it.each([
    // Published per-token KV cache sizes at 16 bits.
    ['llama-2-7b', 524_288], // 0.5 MiB per token, the figure vLLM's PagedAttention paper uses
    ['llama-3.1-8b', 131_072], // 128 KiB: Hugging Face's Llama 3.1 post, 15.62 GiB per 128k tokens
    ['llama-3.1-70b', 327_680], // 320 KiB: the same post, 39.06 GiB per 128k tokens
    ['mistral-7b', 131_072],
    ['falcon-7b', 8_192], // multi-query attention: one KV head of 64
    ['deepseek-v3', 70_272], // MLA: 576 values × 61 layers
  ] as const)('gives %s a KV cache of %i bytes per token', (id, bytes) => {
    expect(kvBytesPerToken(byId(id))).toBe(bytes);
  });

  it.each(MODEL_CATALOG.map((m) => [m.id, m] as const))(
    'gives %s a vocabulary whose embedding matrices fit inside its parameters',
    (_id, m) => {
      expect(Number.isInteger(m.vocabSize)).toBe(true);
      if (m.kind === 'diffusion') expect(m.vocabSize).toBe(0);
      else expect(m.vocabSize).toBeGreaterThan(1000);
      const matrices = m.tiedEmbeddings ? 1 : 2;
      expect((m.vocabSize * m.hiddenSize * matrices) / 1e9).toBeLessThan(m.paramsB);
    },
  );

  it.each([
    // config.json vocab_size and tie_word_embeddings.
    ['llama-2-70b', 32_000, false],
    ['llama-3.1-8b', 128_256, false],
    ['llama-3.2-1b', 128_256, true],
    ['llama-3.2-3b', 128_256, true],
    ['qwen2.5-0.5b', 151_936, true],
    ['qwen2.5-3b', 151_936, true],
    ['qwen2.5-7b', 152_064, false],
    ['qwen3-8b', 151_936, false],
    ['mistral-7b', 32_768, false],
    ['mixtral-8x7b', 32_000, false],
    ['gemma-2-9b', 256_000, true],
    ['gemma-3-27b', 262_208, true],
    ['phi-3-mini', 32_064, false],
    ['phi-4', 100_352, false],
    ['deepseek-v3', 129_280, false],
    ['command-r-35b', 256_000, true],
  ] as const)('gives %s a vocabulary of %i (tied: %s)', (id, vocab, tied) => {
    expect(byId(id)).toMatchObject({ vocabSize: vocab, tiedEmbeddings: tied });
  });

  it.each([
    // fp16 weights from Hugging Face's Llama 3.1 release post: 16, 140 and 810 GB.
    ['llama-3.1-8b', 16],
    ['llama-3.1-70b', 140],
    ['llama-3.1-405b', 810],
  ] as const)('sizes %s at about %i GB of fp16 weights', (id, gb) => {
    expect(Math.abs(byId(id).paramsB * 2 - gb) / gb).toBeLessThan(0.02);
  });
});

describe('model names as people write them', () => {
  it('keeps every alias in normalised form, resolving to its own model', () => {
    for (const m of MODEL_CATALOG) {
      for (const alias of m.aliases) {
        expect(normaliseModelText(alias), `${m.id}: ${alias}`).toBe(alias);
        expect(resolveModel(alias)?.id, `${m.id}: ${alias}`).toBe(m.id);
      }
    }
  });

  it.each(MODEL_CATALOG.map((m) => [m.id, m.name] as const))(
    'resolves %s by its id and its name "%s"',
    (id, name) => {
      expect(resolveModel(id)?.id).toBe(id);
      expect(resolveModel(name)?.id).toBe(id);
    },
  );

  it.each([
    ['llama3 70b', 'llama-3-70b'],
    ['Llama-3.1-70B-Instruct', 'llama-3.1-70b'],
    ['llama 3.3 70b', 'llama-3.3-70b'],
    ['meta-llama/Meta-Llama-3-8B-Instruct', 'llama-3-8b'],
    ['Llama-2-7b-chat-hf', 'llama-2-7b'],
    ['llama3.1:70b-instruct-q4_K_M', 'llama-3.1-70b'],
    ['Llama 3 8B', 'llama-3-8b'],
    ['llama 3.2 11b vision instruct', 'llama-3.2-11b-vision'],
    ['qwen 2.5 7b instruct', 'qwen2.5-7b'],
    ['Qwen2.5-72B', 'qwen2.5-72b'],
    ['Qwen/Qwen2.5-Coder-32B-Instruct', 'qwen2.5-coder-32b'],
    ['Qwen3-30B-A3B', 'qwen3-30b-a3b'],
    ['qwen3 235b', 'qwen3-235b-a22b'],
    ['mistral nemo', 'mistral-nemo-12b'],
    ['Mistral-Nemo-Instruct-2407', 'mistral-nemo-12b'],
    ['mistral 7b instruct v0.3', 'mistral-7b'],
    ['Mistral-Small-24B-Instruct-2501', 'mistral-small-24b'],
    ['mixtral 8x7b', 'mixtral-8x7b'],
    ['Mixtral-8x22B-Instruct-v0.1', 'mixtral-8x22b'],
    ['codestral', 'codestral-22b'],
    ['deepseek r1', 'deepseek-r1'],
    ['deepseek-ai/DeepSeek-V3-0324', 'deepseek-v3'],
    ['r1 distill llama 70b', 'deepseek-r1-distill-llama-70b'],
    ['DeepSeek-R1-Distill-Qwen-32B', 'deepseek-r1-distill-qwen-32b'],
    ['gemma2 9b', 'gemma-2-9b'],
    ['gemma-2-9b-it', 'gemma-2-9b'],
    ['gemma 3 27b it', 'gemma-3-27b'],
    ['phi 4', 'phi-4'],
    ['phi-3-mini-4k-instruct', 'phi-3-mini'],
    ['command r', 'command-r-35b'],
    ['c4ai-command-r-v01', 'command-r-35b'],
    ['command-r plus', 'command-r-plus-104b'],
    ['Command R+', 'command-r-plus-104b'],
    ['falcon 180b', 'falcon-180b'],
    ['yi 34b', 'yi-34b'],
    ['sdxl', 'sdxl-base'],
    ['stable diffusion xl', 'sdxl-base'],
    ['sd3 medium', 'sd3-medium'],
    ['stable diffusion 3 medium', 'sd3-medium'],
    ['sd 1.5', 'sd-1.5'],
    ['flux dev', 'flux.1-dev'],
    ['FLUX.1-schnell', 'flux.1-schnell'],
    ['whisper', 'whisper-large-v3'],
    ['whisper large', 'whisper-large-v3'],
    ['openai/whisper-large-v3', 'whisper-large-v3'],
    ['bge-m3', 'bge-m3'],
    ['BAAI/bge-large-en-v1.5', 'bge-large-en-v1.5'],
    ['e5-mistral-7b-instruct', 'e5-mistral-7b'],
    ['nomic-embed-text-v1.5', 'nomic-embed-text-v1.5'],
    ['sentence-transformers/all-MiniLM-L6-v2', 'all-minilm-l6-v2'],
    // A fine-tune keeps its base model's shape.
    ['my llama 3 8b finetune', 'llama-3-8b'],
  ] as const)('resolves "%s" to %s', (text, id) => {
    expect(resolveModel(text)?.id).toBe(id);
  });

  it.each([
    ['llama 70b', 'llama-3.3-70b'],
    ['llama 8b', 'llama-3.1-8b'],
    ['qwen 72b', 'qwen2.5-72b'],
    ['gemma 27b', 'gemma-3-27b'],
  ] as const)('reads "%s", a size without a version, as the newest release: %s', (text, id) => {
    expect(resolveModel(text)?.id).toBe(id);
  });

  it.each([
    'llama 3 13b',
    'llama 3.1 13b',
    'qwen 2.5 13b',
    'gemma 2 13b',
    'mixtral 8x13b',
    'phi 4 7b',
    'falcon 70b',
  ])('finds nothing for "%s", a size the family never had', (text) => {
    expect(resolveModel(text)).toBeUndefined();
  });

  it('never reads Llama 3 8B as a bigger or later Llama', () => {
    expect(resolveModel('Llama 3 8B')?.id).toBe('llama-3-8b');
    expect(resolveModel('llama-3-8b-instruct')?.id).toBe('llama-3-8b');
  });

  it.each(['llama', 'gemma 3', 'mistral', 'stable diffusion', 'deepseek', 'falcon', 'phi', 'llama 3.2'])(
    'does not guess which size "%s" means',
    (text) => {
      expect(resolveModel(text)).toBeUndefined();
    },
  );

  it.each(['a 70b model', '20B', 'foobar-chat', 'gpt-4', '', '   ', 'i-3'])(
    'finds no catalog model in "%s"',
    (text) => {
      expect(resolveModel(text)).toBeUndefined();
    },
  );

  it('suggests the nearest real models for a name it cannot place', () => {
    expect(suggestModels('llama 3 13b', 3).map((m) => m.id)).toContain('llama-2-13b');
    expect(suggestModels('qwen 2.5 13b', 3).map((m) => m.id)).toContain('qwen2.5-14b');
    expect(suggestModels('mixtrall 8x7', 1).map((m) => m.id)).toEqual(['mixtral-8x7b']);
    expect(suggestModels('stable diffusion', 3).every((m) => m.family === 'stable-diffusion')).toBe(true);
    expect(suggestModels('llama', 5)).toHaveLength(5);
    expect(suggestModels('', 3)).toEqual([]);
  });
});

describe('model names inside a sentence', () => {
  it.each([
    ['can a 3090 run Command-R 35B?', 'command-r-35b', 'Command-R 35B'],
    ['what do I need to serve Qwen2.5-72B in 4-bit with 32k context?', 'qwen2.5-72b', 'Qwen2.5-72B'],
    ['4090 or A100 for Llama 3 8B inference?', 'llama-3-8b', 'Llama 3 8B'],
    ['which gpu for whisper large', 'whisper-large-v3', 'whisper large'],
    ['gguf q4_k_m of llama 3.1 8b on a 3060?', 'llama-3.1-8b', 'llama 3.1 8b'],
    ['8x H100 enough for deepseek v3?', 'deepseek-v3', 'deepseek v3'],
    ['LoRA on Gemma 2 9B with rank 64', 'gemma-2-9b', 'Gemma 2 9B'],
  ] as const)('finds the model in "%s"', (text, id, written) => {
    const mention = findModelMention(text);
    expect(mention?.model.id).toBe(id);
    expect(text.slice(mention!.start, mention!.end)).toBe(written);
  });

  it.each([
    'deploy two 4090s under $0.45/hr',
    'list all offers under $0.2',
    'pause i-3 and i-4',
    'no more instances please',
  ])('finds none in "%s"', (text) => {
    expect(findModelMention(text)).toBeUndefined();
  });
});

describe('models known only by their size', () => {
  const SIZES = [0.3, 0.5, 1, 3, 7, 13, 20, 34, 70, 120, 405, 1000];

  it.each(SIZES)('shapes a %sB model plausibly and says it is estimated', (size) => {
    const m = syntheticModel(size);
    expect(m.paramsB).toBe(size);
    expect(m.activeParamsB).toBe(size);
    expect(m.family).toBe('estimated');
    expect(m.name).toMatch(/estimated/);
    expect(m.source).toMatch(/estimated/);
    expect(m.headDim * m.attentionHeads).toBe(m.hiddenSize);
    expect(m.attentionHeads % m.kvHeads).toBe(0);
    if (size >= 7) expect(m.kvHeads).toBe(8);
    // A decoder holds about 12 × layers × hidden² parameters outside its embeddings.
    if (size >= 3) {
      const estimate = (12 * m.layers * m.hiddenSize ** 2) / 1e9;
      expect(estimate / size).toBeGreaterThan(0.6);
      expect(estimate / size).toBeLessThan(1.4);
    }
  });

  it.each(SIZES)('gives a %sB model a 128k-class vocabulary, tied below 4B, at most 30% of it', (size) => {
    const m = syntheticModel(size);
    expect(m.vocabSize).toBeLessThanOrEqual(128_000);
    expect(m.vocabSize).toBeGreaterThan(10_000);
    expect(m.tiedEmbeddings).toBe(size < 4);
    const share = (m.vocabSize * m.hiddenSize * (m.tiedEmbeddings ? 1 : 2)) / (size * 1e9);
    expect(share).toBeLessThanOrEqual(0.3);
    if (size >= 3) expect(m.vocabSize).toBe(128_000);
  });

  it('grows deeper and wider with size', () => {
    const shapes = SIZES.map((s) => syntheticModel(s));
    for (let i = 1; i < shapes.length; i++) {
      expect(shapes[i]!.layers).toBeGreaterThanOrEqual(shapes[i - 1]!.layers);
      expect(shapes[i]!.hiddenSize).toBeGreaterThanOrEqual(shapes[i - 1]!.hiddenSize);
    }
  });

  it('lands on the real shape at a catalog size', () => {
    expect(syntheticModel(70.55)).toMatchObject({ layers: 80, hiddenSize: 8192, kvHeads: 8 });
    expect(syntheticModel(8.03)).toMatchObject({ layers: 32, hiddenSize: 4096, kvHeads: 8 });
  });

  it('shapes a mixture of experts by its active size and keeps the total for the weights', () => {
    const m = syntheticModel(30, { moeActiveB: 3 });
    expect(m).toMatchObject({ kind: 'moe', paramsB: 30, activeParamsB: 3 });
    expect(m.hiddenSize).toBeLessThan(syntheticModel(30).hiddenSize);
  });

  it('keeps the name the user gave', () => {
    expect(syntheticModel(13, { name: 'my-finetune-13b' }).name).toMatch(/^my-finetune-13b, 13B model/);
  });

  it('refuses a size that is not a positive number', () => {
    expect(() => syntheticModel(0)).toThrow(RangeError);
    expect(() => syntheticModel(Number.NaN)).toThrow(RangeError);
  });

  it.each([
    ['20B', { paramsB: 20 }],
    ['a 7b model', { paramsB: 7 }],
    ['1.5B params', { paramsB: 1.5 }],
    ['70 billion', { paramsB: 70 }],
    ['my-finetune-13b', { paramsB: 13 }],
    ['350M', { paramsB: 0.35 }],
    ['30B-A3B', { paramsB: 30, activeB: 3 }],
    ['8x7b', { paramsB: 56, activeB: 14 }],
    ['1.2T', { paramsB: 1200 }],
  ] as const)('reads the parameter count in "%s"', (text, expected) => {
    const count = parseParamCount(text);
    expect(count?.paramsB).toBeCloseTo(expected.paramsB, 6);
    expect(count?.activeB).toBe('activeB' in expected ? expected.activeB : undefined);
  });

  it.each(['foobar-chat', 'trained on 1B tokens', '4090', 'gpt-4', '0b'])(
    'reads no parameter count in "%s"',
    (text) => {
      expect(parseParamCount(text)).toBeUndefined();
    },
  );
});
