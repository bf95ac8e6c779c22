import { describe, expect, it } from 'vitest';
import { buildWorkload, UNSPECIFIED_MODEL } from '../../../src/advisor/workload.ts';
import {
  type AdviceQuestion,
  parseAdviceQuestion,
  REFERENCE_COMPARISON,
  type RecommendGpuArgs,
} from '../../../src/agent/planner/advice-question.ts';
import { recommendGpuSchema } from '../../../src/tools/schemas.ts';

type Row = readonly [string, AdviceQuestion['intent'], RecommendGpuArgs];

/** Advice questions as people ask them, and the recommend_gpu arguments each must become. */
const TABLE: readonly Row[] = [
  // The questions
  [
    'what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?',
    'recommend',
    {
      model: 'qwen2.5-72b',
      task: 'inference',
      precision: 'awq',
      context_tokens: 32768,
      concurrent_users: 16,
    },
  ],
  ['cheapest GPU for Mistral-Nemo 12B in fp8', 'recommend', { model: 'mistral-nemo-12b', precision: 'fp8' }],
  ['can a 3090 run Command-R 35B?', 'can-run', { model: 'command-r-35b', gpus: ['rtx-3090'] }],
  ['Stable Diffusion 3 medium', 'recommend', { model: 'sd3-medium' }],
  ['a 20B model in int4', 'recommend', { model: '20B', precision: 'int4' }],
  ['full fine-tune of Qwen2.5 1.5B', 'recommend', { model: 'qwen2.5-1.5b', task: 'full-finetune' }],
  ['LoRA on Gemma 2 9B', 'recommend', { model: 'gemma-2-9b', task: 'lora' }],
  ['QLoRA on Llama 3.3 70B', 'recommend', { model: 'llama-3.3-70b', task: 'qlora' }],
  [
    'fine-tune llama 3 8b with 4k sequence length and batch size 8',
    'recommend',
    { model: 'llama-3-8b', task: 'full-finetune', seq_len: 4096, batch_size: 8 },
  ],
  [
    '4090 or A100 for Llama 3 8B inference?',
    'compare',
    { model: 'llama-3-8b', task: 'inference', gpus: ['rtx-4090', 'a100-40gb'] },
  ],
  [
    'is an H100 worth it over an A100?',
    'compare',
    { ...REFERENCE_COMPARISON, gpus: ['h100-pcie', 'a100-40gb'] },
  ],
  ['how much vram for llama 3 70b', 'recommend', { model: 'llama-3-70b' }],
  ['which gpu for whisper large', 'recommend', { model: 'whisper-large-v3' }],
  ['8x H100 enough for deepseek v3?', 'can-run', { model: 'deepseek-v3', gpus: ['h100-pcie'], gpu_count: 8 }],
  [
    'gguf q4_k_m of llama 3.1 8b on a 3060?',
    'can-run',
    { model: 'llama-3.1-8b', precision: 'q4_k_m', gpus: ['rtx-3060'] },
  ],
  [
    'train a 7b model on 1B tokens, how much?',
    'recommend',
    { model: '7B', task: 'full-finetune', training_tokens: 1e9 },
  ],
  // Budgets and places
  [
    'serve llama 3.1 70b in awq under $2/hr in Europe',
    'recommend',
    {
      model: 'llama-3.1-70b',
      task: 'inference',
      precision: 'awq',
      max_price_per_gpu_hour: 2,
      region: 'europe',
    },
  ],
  [
    'best gpu for mixtral 8x7b under 1 dollar an hour in the US',
    'recommend',
    { model: 'mixtral-8x7b', max_price_per_gpu_hour: 1, region: 'US' },
  ],
  // Context and users, written every way
  ['llama 3.1 8b with 128k context', 'recommend', { model: 'llama-3.1-8b', context_tokens: 131072 }],
  [
    'serve qwen 2.5 7b instruct with 8192 tokens of context',
    'recommend',
    { model: 'qwen2.5-7b', task: 'inference', context_tokens: 8192 },
  ],
  [
    'serve Llama-3.1-70B-Instruct for 50 concurrent requests',
    'recommend',
    { model: 'llama-3.1-70b', task: 'inference', concurrent_users: 50 },
  ],
  ['mistral 7b batch 8', 'recommend', { model: 'mistral-7b', concurrent_users: 8 }],
  [
    'what do I need for gemma 3 27b with a context of 16k and 4 users',
    'recommend',
    { model: 'gemma-3-27b', context_tokens: 16384, concurrent_users: 4 },
  ],
  ['phi 4 with 200k context window', 'recommend', { model: 'phi-4', context_tokens: 200000 }],
  // Precision words
  ['llama3 70b in 8-bit', 'recommend', { model: 'llama-3-70b', precision: 'int8' }],
  ['run qwen2.5 32b in half precision', 'recommend', { model: 'qwen2.5-32b', precision: 'fp16' }],
  ['yi 34b in full precision', 'recommend', { model: 'yi-34b', precision: 'fp32' }],
  [
    'serve Qwen2.5-72B-Instruct-AWQ for 100 users',
    'recommend',
    { model: 'qwen2.5-72b', task: 'inference', precision: 'awq', concurrent_users: 100 },
  ],
  ['llama 3.1 405b gptq', 'recommend', { model: 'llama-3.1-405b', precision: 'gptq' }],
  ['codestral in bf16', 'recommend', { model: 'codestral-22b', precision: 'bf16' }],
  ['gemma 2 27b q5_k_m gguf', 'recommend', { model: 'gemma-2-27b', precision: 'q5_k_m' }],
  [
    'deepseek r1 distill llama 70b as gguf',
    'recommend',
    { model: 'deepseek-r1-distill-llama-70b', precision: 'q4_k_m' },
  ],
  // Training variants
  [
    'fine-tune mixtral 8x7b with qlora, rank 32, seq len 8192, micro batch 4, no gradient checkpointing',
    'recommend',
    {
      model: 'mixtral-8x7b',
      task: 'qlora',
      lora_rank: 32,
      seq_len: 8192,
      batch_size: 4,
      gradient_checkpointing: false,
    },
  ],
  [
    'LoRA on a 4-bit llama 3 8b with rank 64',
    'recommend',
    { model: 'llama-3-8b', task: 'qlora', precision: 'nf4', lora_rank: 64 },
  ],
  [
    'train a 7b on 500M tokens with 8k context',
    'recommend',
    { model: '7B', task: 'full-finetune', seq_len: 8192, training_tokens: 5e8 },
  ],
  [
    'a100 or h100 for fine-tuning llama 3 8b?',
    'compare',
    { model: 'llama-3-8b', task: 'full-finetune', gpus: ['a100-40gb', 'h100-pcie'] },
  ],
  // GPUs to check or compare
  [
    'can I run llama 3.1 405b on 8x h200?',
    'can-run',
    { model: 'llama-3.1-405b', gpus: ['h200'], gpu_count: 8 },
  ],
  [
    'compare 4090 and 5090 for qwen 2.5 7b',
    'compare',
    { model: 'qwen2.5-7b', gpus: ['rtx-4090', 'rtx-5090'] },
  ],
  [
    'can my 4090 handle a 32b model at q4?',
    'can-run',
    { model: '32B', precision: 'q4_k_m', gpus: ['rtx-4090'] },
  ],
  ['will flux dev fit on an a100 80gb?', 'can-run', { model: 'flux.1-dev', gpus: ['a100-80gb'] }],
  // Images, speech, embeddings
  [
    'sdxl 4 images at a time at 1024x1024',
    'recommend',
    { model: 'sdxl-base', context_tokens: 1024, concurrent_users: 4 },
  ],
  [
    'how much memory does flux dev need at 1024px?',
    'recommend',
    { model: 'flux.1-dev', context_tokens: 1024 },
  ],
  ['which GPU for bge-m3 embeddings with batch 64', 'recommend', { model: 'bge-m3', concurrent_users: 64 }],
  // Sizes and names outside the catalog
  [
    "what's the best gpu for a 70 billion parameter model in 8-bit?",
    'recommend',
    { model: '70B', precision: 'int8' },
  ],
  [
    'serve my-finetune-13b for 50 concurrent requests',
    'recommend',
    { model: 'my-finetune-13b', task: 'inference', concurrent_users: 50 },
  ],
  ['a 30B-A3B MoE model in fp8', 'recommend', { model: '30B-A3B', precision: 'fp8' }],
  [
    'what gpu do I need to serve my-secret-model?',
    'recommend',
    { model: 'my-secret-model', task: 'inference' },
  ],
  [
    'serve llama 3 13b for 8 users',
    'recommend',
    { model: 'llama 3 13b', task: 'inference', concurrent_users: 8 },
  ],
  ['what gpu for my model?', 'recommend', { model: 'my model' }],
  [
    'which gpu should I use for fine-tuning?',
    'recommend',
    { model: UNSPECIFIED_MODEL, task: 'full-finetune' },
  ],
  ['recommend a gpu for llama 70b', 'recommend', { model: 'llama-3.3-70b' }],
];

describe('advice questions', () => {
  it('covers at least 40 questions', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)('reads "%s" as %s with the expected arguments', (text, intent, args) => {
    expect(parseAdviceQuestion(text)).toEqual({ intent, args });
  });

  it.each(TABLE)('gives "%s" arguments recommend_gpu accepts', (text) => {
    const question = parseAdviceQuestion(text);
    expect(question).toBeDefined();
    expect(recommendGpuSchema.safeParse(question!.args).success).toBe(true);
  });

  it('reads text the same whatever its case and trailing punctuation', () => {
    const reference = parseAdviceQuestion(
      'what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users',
    );
    for (const variant of [
      'WHAT DO I NEED TO SERVE QWEN2.5-72B IN 4-BIT WITH 32K CONTEXT FOR 16 USERS?',
      '  what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?!  ',
      '@gpuops what do I need to serve *Qwen2.5-72B* in 4-bit with 32k context for 16 users?',
    ]) {
      expect(parseAdviceQuestion(variant)).toEqual(reference);
    }
  });

  it('writes a model every question can be sized from, or one the workload asks about', () => {
    const asksBack = new Set([UNSPECIFIED_MODEL, 'my model', 'my-secret-model', 'llama 3 13b']);
    for (const [text] of TABLE) {
      const question = parseAdviceQuestion(text)!;
      const built = buildWorkload(question.args);
      expect('workload' in built, `${text} → ${question.args.model}`).toBe(
        !asksBack.has(question.args.model),
      );
    }
  });

  it('reads a plain 4-bit as AWQ for serving and as NF4 for QLoRA', () => {
    expect(parseAdviceQuestion('serve llama 3 8b in 4-bit')?.args.precision).toBe('awq');
    expect(parseAdviceQuestion('qlora on llama 3 8b in 4-bit')?.args).toMatchObject({
      task: 'qlora',
      precision: 'nf4',
    });
  });

  it('ignores numbers outside what recommend_gpu accepts rather than failing', () => {
    expect(parseAdviceQuestion('serve llama 3 8b for 100000 users')?.args).toEqual({
      model: 'llama-3-8b',
      task: 'inference',
    });
  });
});

describe('text that is not an advice question', () => {
  it.each([
    'deploy a 4090',
    'deploy two 4090s under $0.45/hr with the pytorch image',
    'cheapest 4090',
    'cheapest 4090 for llama 3 8b',
    'deploy a 4090 for llama 3 8b',
    'find 2x H100 SXM in the US',
    'what GPUs are available under $0.40/hr?',
    "what's the cheapest gpu with at least 80gb",
    'show me A100 80GB offers in Europe',
    '4090 vs 3090 prices',
    'list my instances',
    'list all offers under $0.2',
    'pause i-3',
    'status of the llama 3 box i-7',
    'should I use spot instances?',
    'Deploy an L4 with ghcr.io/MyOrg/Serve:V2',
    'a 4090 with 250gb disk',
    'hello',
    'thanks!',
    'what can you do?',
    '',
    '   ',
    '20B',
  ])('returns nothing for "%s"', (text) => {
    expect(parseAdviceQuestion(text)).toBeUndefined();
  });

  it('never throws, whatever it is given', () => {
    for (const text of [
      '$',
      '§g §g',
      'x'.repeat(3000),
      '🚀',
      'llama '.repeat(400),
      '1b 2b 3b tokens model',
    ]) {
      expect(() => parseAdviceQuestion(text)).not.toThrow();
    }
    expect(parseAdviceQuestion(undefined as unknown as string)).toBeUndefined();
  });
});

describe("a job's size in an advice question", () => {
  const sizeOf = (text: string) => parseAdviceQuestion(text)?.size;

  it.each([
    [
      'what GPU do I need to fine-tune Llama 3.1 8B with LoRA on 20k examples, and what would it cost?',
      { training_examples: 20_000 },
    ],
    ['LoRA on llama 3 8b, 20,000 examples, 2 epochs', { training_examples: 20_000, epochs: 2 }],
    [
      'qlora on llama 3 8b with 1.5 million samples of 512 tokens each for three epochs',
      { training_examples: 1_500_000, tokens_per_example: 512, epochs: 3 },
    ],
    [
      'fine-tune qwen2.5 7b on 50k examples, 300 tokens per example',
      { training_examples: 50_000, tokens_per_example: 300 },
    ],
    ['lora on llama 3 8b, 10k 1k-token examples', { training_examples: 10_000, tokens_per_example: 1024 }],
  ] as const)('reads the training data of "%s"', (text, size) => {
    expect(sizeOf(text)).toEqual(size);
  });

  it('keeps a token count per example from being read as the context or the run', () => {
    const question = parseAdviceQuestion(
      'lora on llama 3 8b, 20k examples, 512 tokens per example, seq len 2048',
    )!;
    expect(question.args.seq_len).toBe(2048);
    expect(question.args.training_tokens).toBeUndefined();
    expect(question.size).toEqual({ training_examples: 20_000, tokens_per_example: 512 });
  });

  it('still reads "1M tokens" as the run and "2 epochs" as its passes', () => {
    const question = parseAdviceQuestion('fine-tune llama 3 8b on 1M tokens for 2 epochs')!;
    expect(question.args.training_tokens).toBe(1_000_000);
    expect(question.size).toEqual({ epochs: 2 });
  });

  it.each([
    [
      'serve llama 3.1 8b at 50 requests per second, 500 tokens per request',
      { requests_per_second: 50, tokens_per_request: 500 },
    ],
    ['serve llama 3.1 8b at 120 requests per minute', { requests_per_second: 2 }],
    [
      'serve llama 3.1 8b at 10 rps with 1k tokens per response',
      { requests_per_second: 10, tokens_per_request: 1000 },
    ],
  ] as const)('reads the serving load of "%s"', (text, size) => {
    expect(sizeOf(text)).toEqual(size);
  });

  it('leaves "50 requests per second" out of the concurrent users and keeps "200 users" in them', () => {
    const question = parseAdviceQuestion('serve llama 3.1 8b for 200 users at 50 requests per second')!;
    expect(question.args.concurrent_users).toBe(200);
    expect(question.size).toEqual({ requests_per_second: 50 });
  });

  it('asks about a count of examples it cannot read as a whole number, instead of rounding it', () => {
    const question = parseAdviceQuestion('lora on llama 3 8b on 2.55555k examples')!;
    expect(question.size?.training_examples).toBeUndefined();
    expect(question.problem).toMatch(/2\.55555k examples.*exactly/);
  });

  it('sends recommend_gpu only the arguments its schema declares', () => {
    const question = parseAdviceQuestion('serve llama 3.1 8b at 50 requests per second')!;
    const declared = Object.keys(recommendGpuSchema.shape);
    for (const key of Object.keys(question.args)) expect(declared).toContain(key);
  });

  it('reads no job size from a question without one', () => {
    expect(sizeOf('LoRA on Gemma 2 9B')).toBeUndefined();
  });
});
