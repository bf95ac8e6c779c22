import type { z } from 'zod';
import { findModelMention } from '../../advisor/models/index.ts';
import type { JobSize, ModelSpec, Task, WeightPrecision } from '../../advisor/types.ts';
import { UNSPECIFIED_MODEL } from '../../advisor/workload.ts';
import { recommendGpuSchema } from '../../tools/schemas.ts';
import { DURATION_UNIT, secondsPerUnit } from '../../util/duration-units.ts';
import { NUMBER_WORD } from '../../util/number-words.ts';
import { cleanRequest, MAX_REQUEST_CHARS } from './clean-request.ts';
import { extractCount } from './extract-count.ts';
import { extractGpus } from './extract-gpu.ts';
import { extractPrice } from './extract-price.ts';
import { extractRegion } from './extract-region.ts';
import { readAmount, readNumber } from './numerals.ts';
import { emptyExtraction } from './types.ts';
import { GPU_MARK, UnreadText } from './unread-text.ts';

/**
 * Reads a GPU-advice question written in everyday words ("what do I need to serve Qwen2.5-72B in
 * 4-bit with 32k context for 16 users?", "can a 3090 run Command-R 35B?", "QLoRA on Llama 3.3
 * 70B") into recommend_gpu's arguments. Returns undefined for text that is not such a question,
 * so the planner's other intents ("deploy a 4090", "cheapest 4090") keep their meaning.
 *
 * Prices, regions and GPU names are read by the offline planner's extractors, so "under $2/hr",
 * "in Europe" and "A100 80G" mean here exactly what they mean in a search or a deploy.
 */

export type RecommendGpuArgs = z.infer<typeof recommendGpuSchema>;

export interface AdviceQuestion {
  /**
   * recommend_gpu's arguments. The job's size ("20k examples", "50 requests per second") is kept
   * only as far as the schema declares its fields; all of it is in `size`.
   */
  args: RecommendGpuArgs;
  /** The job's size as the question gave it, read exactly; the advisor sizes the run or load from it. */
  size?: JobSize;
  /**
   * A value the question gave that cannot be read exactly (a price of "$NaN/hr", "2.5x 4090", "in
   * Atlantis"), as the sentence to ask back: answering without it would answer another question.
   */
  problem?: string;
  /** What was asked: the best setup, whether named GPUs can run it, or which of them is better. */
  intent: 'recommend' | 'can-run' | 'compare';
}

/**
 * "Is an H100 worth it over an A100?" names no model. The comparison is then made on a common
 * serving job, an 8B model in bf16 for 8 users, and the answer's workload echo shows it.
 */
export const REFERENCE_COMPARISON = {
  model: 'llama-3.1-8b',
  precision: 'bf16',
  concurrent_users: 8,
  task: 'inference',
} as const satisfies Partial<RecommendGpuArgs>;

export function parseAdviceQuestion(text: string): AdviceQuestion | undefined {
  if (typeof text !== 'string') return undefined;
  const cleaned = cleanRequest(text.trim());
  if (cleaned === '' || cleaned.length > MAX_REQUEST_CHARS) return undefined;
  const lower = cleaned.toLowerCase();
  // An instance id makes it a request about a machine ("pause the llama box i-3").
  if (/\bi-\d+\b/.test(lower)) return undefined;

  const unread = new UnreadText(cleaned);
  const mention = findModelMention(unread.text);
  if (mention) unread.consume(mention.start, mention.end);
  const model = mention?.model;

  const size = model ? undefined : readSize(unread);
  const cue = ADVICE_CUES.some((pattern) => pattern.test(lower));
  // Most chat lines are not advice questions; leave them before the costlier reading below.
  if (!model && !size && !cue) return undefined;
  // After the names are taken, so "my-finetune-13b" is not a request to fine-tune.
  const task = readTask(unread.text);
  const precision = readPrecision(unread, lower, task);
  const training = task.value !== undefined && task.value !== 'inference';
  // Before the other numbers: "512 tokens per example" is not a context, "50 requests" not users.
  const sized = readJobSize(unread, training);
  const numbers = readNumbers(unread, training, model);

  const ex = emptyExtraction();
  extractPrice(unread, ex);
  extractGpus(unread, ex);
  extractCount(unread, ex);
  extractRegion(unread, ex);
  const gpus = ex.gpus.slice(0, 6).map((g) => g.id);

  // "deploy a 4090 for llama 3 8b", "cheapest 4090 for llama": the user picked the GPU and asked
  // for an action or a search, not for advice.
  if (gpus.length > 0 && ACTION_FIRST.test(lower) && !QUESTION.test(lower)) return undefined;

  const intent: AdviceQuestion['intent'] =
    gpus.length >= 2 || (gpus.length === 1 && COMPARE.test(lower))
      ? 'compare'
      : gpus.length === 1
        ? 'can-run'
        : 'recommend';

  const args: Record<string, unknown> = {};
  const finalTask = precision.impliesQlora && task.value === 'lora' ? 'qlora' : task.value;
  if (model) args.model = model.id;
  else if (size) args.model = size;
  else if (intent === 'compare') Object.assign(args, REFERENCE_COMPARISON);
  else args.model = unknownName(unread) ?? UNSPECIFIED_MODEL;
  if (finalTask !== undefined) args.task = finalTask;
  if (precision.value !== undefined) args.precision = precision.value;
  Object.assign(args, numbers);
  if (gpus.length > 0) args.gpus = gpus;
  if (gpus.length > 0 && ex.count !== undefined) args.gpu_count = ex.count;
  if (ex.maxPrice !== undefined) args.max_price_per_gpu_hour = ex.maxPrice;
  const problem =
    ex.problems.find((p) => p.field === 'price' || p.field === 'count' || p.field === 'region')?.message ??
    sized.problem;
  if (ex.region !== undefined) args.region = ex.region;

  // Fields the schema does not declare are stripped here, never sent to a tool that would refuse them.
  const parsed = recommendGpuSchema.safeParse({ ...args, ...sized.size });
  // Every value was range-checked on the way in; a failure here is a bug, better not acted on.
  if (!parsed.success) return undefined;
  const question: AdviceQuestion = { args: parsed.data, intent };
  if (Object.keys(sized.size).length > 0) question.size = sized.size;
  if (problem) question.problem = problem;
  return question;
}

// ── Is it an advice question at all? ──────────────────────────────────────────────────────────

const ADVICE_CUES: readonly RegExp[] = [
  /\bwhat\s+(?:do|would|will|should|does)\s+(?:i|we|it|one)\s+need\b/,
  /\bwhat\s+(?:hardware|setup|config(?:uration)?|gpu\s+setup|specs?)\s+(?:do|would|should|for|to|is)\b/,
  /\b(?:which|what)\s+(?:kind\s+of\s+|type\s+of\s+|sort\s+of\s+)?(?:gpus?|cards?|hardware|instances?|machines?|setup)\s+(?:should|do|does|would|will|can|could|is|for|to|fits?|works?|handles?|runs?|suits?|needed|required|i\s+need|we\s+need)\b/,
  /\bhow\s+(?:much|many)\s+(?:vram|gpu\s+memory|memory|gpus?|cards?)\b/,
  /\b(?:vram|gpu\s+memory|memory)\s+(?:for|to\s+(?:run|serve|train|fine)|do\s+(?:i|we)\s+need|needed|required|requirements?)\b/,
  /\benough\s+(?:vram\s+|memory\s+)?(?:for|to)\b/,
  /\bworth\s+(?:it|the)\b/,
  /\b(?:recommend\w*|suggest\w*|advi[cs]e)\b/,
  /\bbest\s+(?:gpus?|cards?|hardware|setup)\s+(?:for|to)\b/,
  /\bshould\s+(?:i|we)\s+(?:use|rent|get|pick|choose|go\s+with)\s+(?:an?\s+|the\s+|one\s+|two\s+|\d+\s*x?\s*)?(?:gpus?|cards?|[a-z-]*\d)/,
  /\bcan\s+(?:a|an|the|my|one|two|\d+\s*x?)?\s*\S+\s+(?:run|handle|fit|serve|train|hold|load)\b/,
  /\bcan\s+(?:i|we)\s+(?:run|serve|train|fine|host|fit|load)\b/,
  // "fit on a 4090", "run on 2x a100": a GPU-looking word after it.
  /\b(?:fits?|run|runs)\s+(?:on|in|into)\s+(?:a\s+|an\s+|one\s+|my\s+|\d+\s*x\s*)?[a-z-]*\d/,
  /\b(?:fine[\s-]?tun(?:e|es|ing)|finetun(?:e|es|ing)|q?lora|pre-?train(?:ing)?)\b/,
  /\btrain(?:ing)?\s+(?:a|an|my|our|the|on)\b/,
  /(?<![\w/.:-])(?:serve|serving)\s+(?:a|an|the|my|our)?\s*[a-z0-9]/,
  /\bto\s+run\s+(?:a|an|the|my|our)?\s*[a-z0-9]/,
  /\bcheapest\s+(?:way|gpu|setup|option|config\w*)\s+(?:to|for)\s+(?:run|serve|train|fine|host)/,
];

const ACTION_FIRST =
  /^(?:(?:please|pls|can\s+you|could\s+you|now|then|ok|okay)\s+)*(?:deploy|rent|launch|provision|spin\s+up|order|buy|book|get\s+me|find|search|show|list|look\s+for|cheapest|pause|stop|resume|destroy|terminate|delete)\b/;
const QUESTION =
  /\?|\b(?:can|could|enough|fits?|worth|which|what|should|how|need|vs|versus|or|better|recommend\w*)\b/;
const COMPARE = /\b(?:worth|vs\.?|versus|compare[ds]?|comparison|better|faster|cheaper|instead\s+of)\b/;

// ── Task ──────────────────────────────────────────────────────────────────────────────────────

interface TaskReading {
  value?: Task;
}

// Participles ("a fine-tuned llama", "trained on") describe the model, not the job.
const TASKS: ReadonlyArray<readonly [RegExp, Task]> = [
  [/\bq[\s-]?lora\b/, 'qlora'],
  [/\b(?:lora|peft)\b/, 'lora'],
  [
    /\bfull[\s-]+(?:parameter[\s-]+|param[\s-]+)?(?:fine[\s-]?tun(?:e|es|ing)|finetun(?:e|es|ing)|ft|training|train)\b/,
    'full-finetune',
  ],
  [/\b(?:fine[\s-]?tun(?:e|es|ing)|finetun(?:e|es|ing)|sft|instruction[\s-]tun(?:e|ing))\b/, 'full-finetune'],
  [/\b(?:train|trains|training|pre-?train(?:s|ing)?)\b/, 'full-finetune'],
  [/\b(?:inference|infer|serve|serving)\b/, 'inference'],
];

/**
 * The job: QLoRA, LoRA, a fine-tune or training (read as a full fine-tune: people who mean LoRA
 * say so, and the answer names the cheaper LoRA route anyway), or serving.
 */
function readTask(lower: string): TaskReading {
  for (const [pattern, task] of TASKS) if (pattern.test(lower)) return { value: task };
  return {};
}

// ── Precision ─────────────────────────────────────────────────────────────────────────────────

interface PrecisionReading {
  value?: WeightPrecision;
  /** "LoRA on a 4-bit model" is QLoRA. */
  impliesQlora: boolean;
}

type PrecisionRule = readonly [
  RegExp,
  WeightPrecision | 'four-bit' | ((m: RegExpExecArray) => WeightPrecision),
];

// Most specific first: "4-bit gptq" is GPTQ, "gguf q5_k_m" is Q5_K_M.
const PRECISION_RULES: readonly PrecisionRule[] = [
  [/\bi?q([2-8])_(?:k(?:_[sml])?|[0-9]|[a-z]{1,3})\b/, (m) => ggufQuant(Number(m[1]))],
  [/\bq([2-8])\b/, (m) => ggufQuant(Number(m[1]))],
  // GGUF named without a quant: Q4_K_M, the size most GGUF downloads default to.
  [/\bgguf\b|\bllama\.?cpp\b|\bollama\b/, 'q4_k_m'],
  [/\bawq\b/, 'awq'],
  [/\bgptq\b/, 'gptq'],
  [/\b(?:nf4|bnb[\s_-]?4(?:[\s_-]?bits?)?|bitsandbytes[\s_-]+4[\s_-]?bits?)\b/, 'nf4'],
  [/\b(?:int4|w4a16)\b/, 'int4'],
  [/\b(?:fp8|float8|e4m3|w8a8[\s_-]?fp8)\b/, 'fp8'],
  [/\b(?:int8|w8a8|llm\.int8|bnb[\s_-]?8(?:[\s_-]?bits?)?)\b/, 'int8'],
  [/\b(?:8|eight)[\s-]?bits?\b/, 'int8'],
  [/\b(?:4|four)[\s-]?bits?\b|\bquanti[sz](?:ed|ation)\b/, 'four-bit'],
  [/\b(?:6|six)[\s-]?bits?\b/, 'q6_k'],
  [/\b(?:5|five)[\s-]?bits?\b/, 'q5_k_m'],
  [/\b(?:3|three)[\s-]?bits?\b/, 'q3_k_m'],
  [/\b(?:2|two)[\s-]?bits?\b/, 'q2_k'],
  [/\b(?:bf16|bfloat16|bfloat)\b/, 'bf16'],
  [/\b(?:fp16|float16|half[\s-]precision|16[\s-]?bits?)\b/, 'fp16'],
  [/\b(?:fp32|float32|full[\s-]precision|single[\s-]precision|32[\s-]?bits?)\b/, 'fp32'],
];

/** The GGUF quant of a bit width, the K-quant variant people use at each. */
function ggufQuant(bits: number): WeightPrecision {
  if (bits >= 8) return 'q8_0';
  if (bits >= 6) return 'q6_k';
  if (bits === 5) return 'q5_k_m';
  if (bits === 4) return 'q4_k_m';
  if (bits === 3) return 'q3_k_m';
  return 'q2_k';
}

/**
 * Read from the whole text, model name included ("Qwen2.5-72B-Instruct-AWQ" is AWQ). A plain
 * "4-bit" is AWQ when serving (vLLM's usual 4-bit format) and NF4 when training (QLoRA).
 */
function readPrecision(unread: UnreadText, lower: string, task: TaskReading): PrecisionReading {
  for (const [pattern, value] of PRECISION_RULES) {
    const m = pattern.exec(lower);
    if (!m) continue;
    unread.take(new RegExp(pattern.source, 'g'), () => true);
    if (value === 'four-bit') {
      const training = task.value === 'lora' || task.value === 'qlora';
      return { value: training ? 'nf4' : 'awq', impliesQlora: training };
    }
    return { value: typeof value === 'function' ? value(m) : value, impliesQlora: false };
  }
  return { impliesQlora: false };
}

// ── Context, users, batch, training tokens, rank ──────────────────────────────────────────────

type Numbers = Partial<
  Pick<
    RecommendGpuArgs,
    | 'context_tokens'
    | 'concurrent_users'
    | 'batch_size'
    | 'seq_len'
    | 'lora_rank'
    | 'gradient_checkpointing'
    | 'training_tokens'
  >
>;

const AMT = String.raw`(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)`;
const COUNT_WORD = String.raw`(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?\s*k?|(?:(?:a|one)\s+)?(?:hundred|thousand)|${NUMBER_WORD})`;

const TOKEN_AMOUNT = new RegExp(
  String.raw`(?<![\w.$])${AMT}\s*(k|m|b|t|bn|thousand|million|billion|trillion)?[\s-]*(?:tokens?|toks)\b`,
  'g',
);
const CONTEXT_AFTER = new RegExp(
  String.raw`(?<![\w.$])${AMT}\s*(k|m)?[\s-]*(?:tokens?[\s-]+)?(?:of\s+)?(?:context|ctx)(?:[\s-]+(?:length|window|size))?\b`,
  'g',
);
const CONTEXT_BEFORE = new RegExp(
  String.raw`\b(?:context|ctx|max[\s_-]*model[\s_-]*len|prompts?)(?:[\s-]+(?:length|window|size|len))?\s*(?:of|=|:|is|at|to)?\s*(?:up\s+to\s+|about\s+|around\s+|~)?${AMT}\s*(k|m)?\b(?:\s*tokens?)?`,
  'g',
);
const SEQ_AFTER = new RegExp(
  String.raw`(?<![\w.$])${AMT}\s*(k)?[\s-]*(?:tokens?[\s-]+)?(?:sequence|seq)(?:[\s_-]*(?:length|len))?\b`,
  'g',
);
const SEQ_BEFORE = new RegExp(
  String.raw`\b(?:max[\s_-]*)?(?:sequence|seq)(?:[\s_-]*(?:length|len))?\s*(?:of|=|:|is|at)?\s*${AMT}\s*(k)?\b(?:\s*tokens?)?`,
  'g',
);
const USERS = new RegExp(
  String.raw`(?<![\w.$])${COUNT_WORD}\s+(?:concurrent\s+|simultaneous\s+|parallel\s+|active\s+)?(?:users?|requests?|sessions?|clients?|streams?|sequences?|chats?|conversations?|people|customers?)\b`,
  'g',
);
const CONCURRENT = new RegExp(
  String.raw`(?<![\w.$])${COUNT_WORD}\s+(?:concurrent(?:ly)?|simultaneous(?:ly)?|in\s+parallel|at\s+(?:a\s+time|once))\b|\b(?:concurrency|parallelism)\s*(?:of|=|:)?\s*${COUNT_WORD}`,
  'g',
);
const BATCH = new RegExp(
  String.raw`\b(?:micro[\s-]?)?batch(?:[\s_-]*size)?\s*(?:of|=|:)?\s*${COUNT_WORD}\b|\bbs\s*=?\s*(\d+)\b`,
  'g',
);
const IMAGES = new RegExp(
  String.raw`(?<![\w.$])${COUNT_WORD}\s+(?:images?|pictures?|pics?)\s+(?:at\s+(?:a\s+time|once)|in\s+parallel|per\s+batch|at\s+the\s+same\s+time|concurrently|simultaneously)\b`,
  'g',
);
const RESOLUTION =
  /(?<![\w.$])(\d{3,4})\s*[x×*]\s*(\d{3,4})(?:\s*(?:px|pixels?))?\b|(?<![\w.$])(\d{3,4})\s*(?:px|pixels?)\b/g;
const RANK = /\b(?:lora\s+)?rank\s*(?:of|=|:)?\s*(\d{1,4})\b|\br\s*=\s*(\d{1,4})\b/g;
const NO_CHECKPOINTING =
  /\b(?:without|no|disable[sd]?|turn(?:ed)?\s+off)\s+(?:gradient\s+|activation\s+)?checkpointing\b|\b(?:gradient|activation)\s+checkpointing\s+(?:off|disabled|false)\b/;
const CHECKPOINTING =
  /\b(?:with|use|using|enable[sd]?)\s+(?:gradient|activation)\s+checkpointing\b|\bcheckpointing\s+on\b/;

/** Bounds of recommend_gpu's schema, so nothing read here fails validation later. */
const LIMITS = { context: 2_000_000, users: 4096, rank: 1024, trainingTokens: 1e13 } as const;

function readNumbers(unread: UnreadText, training: boolean, model: ModelSpec | undefined): Numbers {
  const out: Numbers = {};
  const setContext = (value: number, isSeq: boolean): void => {
    if (!(value >= 1 && value <= LIMITS.context) || !Number.isInteger(value)) return;
    // Training reads both as the sequence length; serving reads both as the context.
    if (training || isSeq) {
      if (training) out.seq_len ??= value;
      else out.context_tokens ??= value;
    } else out.context_tokens ??= value;
  };

  unread.take(TOKEN_AMOUNT, (m) => {
    const amount = readAmount(m[1]!);
    const unit = m[2];
    const after = unread.text.slice(m.index + m[0].length, m.index + m[0].length + 24);
    const before = unread.text.slice(Math.max(0, m.index - 12), m.index);
    if (/^\s*(?:of\s+)?(?:context|ctx|window|prompt|sequence|seq)/.test(after)) {
      setContext(contextAmount(amount, unit), /^\s*(?:sequence|seq)/.test(after));
      return true;
    }
    const total = amount * decimalUnit(unit);
    const bigUnit = unit !== undefined && unit !== 'k' && unit !== 'thousand';
    if (total >= 1e6 || bigUnit || (training && /\b(?:on|over|of|for)\s*$/.test(before))) {
      if (total > 0 && total <= LIMITS.trainingTokens) out.training_tokens ??= total;
    } else {
      setContext(contextAmount(amount, unit), false);
    }
    return true;
  });
  unread.take(SEQ_AFTER, (m) => take(() => setContext(contextAmount(readAmount(m[1]!), m[2]), true)));
  unread.take(SEQ_BEFORE, (m) => take(() => setContext(contextAmount(readAmount(m[1]!), m[2]), true)));
  unread.take(CONTEXT_AFTER, (m) => take(() => setContext(contextAmount(readAmount(m[1]!), m[2]), false)));
  unread.take(CONTEXT_BEFORE, (m) => take(() => setContext(contextAmount(readAmount(m[1]!), m[2]), false)));

  if (model?.kind === 'diffusion') {
    unread.take(RESOLUTION, (m) => {
      const side = m[3] !== undefined ? Number(m[3]) : Math.max(Number(m[1]), Number(m[2]));
      out.context_tokens ??= side;
      return true;
    });
    unread.take(IMAGES, (m) => take(() => setUsers(out, countValue(m[1]!), training)));
  }
  unread.take(USERS, (m) => take(() => setUsers(out, countValue(m[1]!), training, true)));
  unread.take(CONCURRENT, (m) => take(() => setUsers(out, countValue(m[1] ?? m[2]!), training, true)));
  unread.take(BATCH, (m) => take(() => setUsers(out, countValue(m[1] ?? m[2]!), training)));
  unread.take(RANK, (m) => {
    const rank = Number(m[1] ?? m[2]);
    if (rank >= 1 && rank <= LIMITS.rank) out.lora_rank ??= rank;
    return true;
  });
  if (NO_CHECKPOINTING.test(unread.text)) out.gradient_checkpointing = false;
  else if (CHECKPOINTING.test(unread.text)) out.gradient_checkpointing = true;
  return out;
}

function take(action: () => void): boolean {
  action();
  return true;
}

/**
 * Users are sequences served at once; for training, "batch 8" is the micro-batch and users mean
 * nothing. A batch size while serving is the number of sequences at once too.
 */
function setUsers(out: Numbers, value: number | undefined, training: boolean, isUsers = false): void {
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > LIMITS.users) return;
  if (training) {
    if (!isUsers) out.batch_size ??= value;
  } else out.concurrent_users ??= value;
}

function countValue(text: string): number | undefined {
  const t = text.trim().replace(/\s+/g, ' ');
  const k = /^(\d+(?:\.\d+)?)\s*k$/.exec(t);
  if (k) return Math.round(Number(k[1]) * 1000);
  if (/^[\d,.]+$/.test(t)) return readAmount(t);
  return readNumber(t);
}

/** "32k" of context is 32,768 tokens (powers of two are meant in binary); "200k" is 200,000. */
function contextAmount(amount: number, unit: string | undefined): number {
  if (unit === undefined) return amount;
  const binary = Number.isInteger(amount) && (amount & (amount - 1)) === 0;
  if (unit === 'k') return binary ? amount * 1024 : Math.round(amount * 1000);
  if (unit === 'm') return binary ? amount * 1024 * 1024 : Math.round(amount * 1_000_000);
  return amount;
}

function decimalUnit(unit: string | undefined): number {
  switch (unit) {
    case 'k':
    case 'thousand':
      return 1e3;
    case 'm':
    case 'million':
      return 1e6;
    case 'b':
    case 'bn':
    case 'billion':
      return 1e9;
    case 't':
    case 'trillion':
      return 1e12;
    default:
      return 1;
  }
}

// ── The job's size: training data, serving load ───────────────────────────────────────────────

const SIZE_LIMITS = {
  examples: 1e10,
  tokensPerItem: 2_000_000,
  epochs: 1000,
  requestsPerSecond: 1e6,
} as const;

// "20k", "20,000", "1.5 million", "fifty thousand": a count with its multiplier.
const BIG_COUNT = String.raw`(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|m|thousand|million|billion)?`;
const EXAMPLES = new RegExp(
  String.raw`(?<![\w.$])${BIG_COUNT}\s+(?:training\s+|labelled\s+|labeled\s+|instruction\s+|chat\s+)?(?:examples?|samples?|rows?|records?|pairs?|conversations?|dialogues?|documents?|docs)\b`,
  'g',
);
const ITEM = String.raw`(?:example|sample|row|record|pair|conversation|dialogue|document|doc)`;
// "512 tokens per example", "512 tokens each", "examples of 512 tokens", "1k-token examples": the
// noun is looked at, not taken, so the count before it ("20k … examples") still reads.
const TOKENS_PER_EXAMPLE = new RegExp(
  [
    String.raw`(?<![\w.$])${AMT}\s*(k)?[\s-]*tokens?\s*(?:per|each|an?|/)\s*${ITEM}\b`,
    String.raw`(?<![\w.$])${AMT}\s*(k)?[\s-]*tokens?\s+each\b`,
    String.raw`(?<=\b${ITEM}s?\s+(?:of\s+)?(?:about\s+|around\s+|~)?)${AMT}\s*(k)?[\s-]*tokens?\b`,
    String.raw`(?<![\w.$])${AMT}\s*(k)?[\s-]+tokens?[\s-]+(?:long\s+)?(?=${ITEM}s?\b)`,
  ].join('|'),
  'g',
);
const EPOCHS = new RegExp(
  String.raw`(?<![\w.$])(\d+(?:\.\d+)?|${NUMBER_WORD})\s+epochs?\b|\bepochs?\s*(?:=|:|of)\s*(\d+(?:\.\d+)?)\b`,
  'g',
);
const RATE = new RegExp(
  String.raw`(?<![\w.$])${BIG_COUNT}\s*(?:requests?|reqs?|queries|calls|completions|prompts)\s*(?:per|/|an?|every)\s*(${DURATION_UNIT})\b|(?<![\w.$])${AMT}\s*(rps|qps|req/s)\b`,
  'g',
);
const TOKENS_PER_REQUEST = new RegExp(
  String.raw`(?<![\w.$])${AMT}\s*(k)?[\s-]*(?:output\s+|generated\s+|completion\s+|response\s+)?tokens?\s*(?:per|each|an?|/)\s*(?:request|response|reply|answer|completion|query|call)\b`,
  'g',
);

/**
 * The data a training run goes through or the load a server carries, read exactly: a number that
 * is not a whole count of examples or tokens ("2.55555k examples") is asked about, not rounded.
 */
function readJobSize(unread: UnreadText, training: boolean): { size: JobSize; problem?: string } {
  const size: JobSize = {};
  let problem: string | undefined;
  const whole = (value: number, limit: number, what: string): number | undefined => {
    if (Number.isInteger(value) && value >= 1 && value <= limit) return value;
    problem ??= `I can't read ${what} exactly as a whole number from 1 to ${limit.toLocaleString('en-US')}. How many exactly?`;
    return undefined;
  };
  unread.take(TOKENS_PER_EXAMPLE, (m) => {
    const [amount, unit] = firstPair(m, 1);
    const value = contextAmount(readAmount(amount), unit);
    size.tokens_per_example ??= whole(value, SIZE_LIMITS.tokensPerItem, `"${m[0].trim()}"`);
    return true;
  });
  unread.take(TOKENS_PER_REQUEST, (m) => {
    const value = readAmount(m[1]!) * (m[2] ? 1000 : 1);
    size.tokens_per_request ??= whole(value, SIZE_LIMITS.tokensPerItem, `"${m[0].trim()}"`);
    return true;
  });
  if (training) {
    unread.take(EXAMPLES, (m) => {
      const value = readAmount(m[1]!) * decimalUnit(m[2]);
      size.training_examples ??= whole(
        Math.round(value * 1e6) / 1e6,
        SIZE_LIMITS.examples,
        `"${m[0].trim()}"`,
      );
      return true;
    });
    unread.take(EPOCHS, (m) => {
      const text = m[1] ?? m[2]!;
      const value = /^\d/.test(text) ? readAmount(text) : readNumber(text);
      if (value !== undefined && value > 0 && value <= SIZE_LIMITS.epochs) size.epochs ??= value;
      else problem ??= `I can't read "${m[0].trim()}" as a number of epochs. How many passes over the data?`;
      return true;
    });
  } else {
    unread.take(RATE, (m) => {
      const amount = m[1] !== undefined ? readAmount(m[1]) * decimalUnit(m[2]) : readAmount(m[4]!);
      const perSecond = amount / secondsPer(m[3] ?? 's');
      if (Number.isFinite(perSecond) && perSecond > 0 && perSecond <= SIZE_LIMITS.requestsPerSecond) {
        size.requests_per_second ??= perSecond;
      } else {
        problem ??= `I can't read "${m[0].trim()}" as a request rate. How many requests per second?`;
      }
      return true;
    });
  }
  return problem ? { size, problem } : { size };
}

/** The first matched (amount, unit) pair of a pattern with several alternatives of two groups each. */
function firstPair(m: RegExpExecArray, from: number): [string, string | undefined] {
  for (let i = from; i < m.length; i += 2) if (m[i] !== undefined) return [m[i]!, m[i + 1]];
  return ['', undefined];
}

function secondsPer(unit: string): number {
  return secondsPerUnit(unit) ?? 1;
}

// ── Models outside the catalog ────────────────────────────────────────────────────────────────

// "a 20B model", "7b model", "1.5B params", "70 billion parameter model", "30B-A3B MoE", and after
// an article without the noun: "train a 7b on 1B tokens".
const SIZE_WITH_NOUN =
  /(?<![\w.$])(\d+(?:\.\d+)?)\s*(?:b|bn|billion)(?:[\s_-]*a(\d+(?:\.\d+)?)b)?(?=[\s-]*(?:param(?:eter)?s?\b|(?:[a-z]+[\s-]+){0,2}(?:model|llm|moe)\b))/g;
const SIZE_AFTER_ARTICLE =
  /\b(?:a|an)\s+(\d+(?:\.\d+)?)\s*(?:b|bn)(?:[\s_-]*a(\d+(?:\.\d+)?)b)?(?![\w.])(?![\s-]*tokens?)/g;
// A name that carries its size: "my-finetune-13b", "acme_chat_70b_v2".
const NAME_WITH_SIZE =
  /(?<![\w.$/-])[a-z][a-z0-9.]*(?:[-_][a-z0-9.]+)*?[-_]\d+(?:\.\d+)?b(?:[-_][a-z0-9.]+)*(?![\w.-])/g;

/** A size that stands for an unnamed model, as recommend_gpu's `model` ("20B", "30B-A3B"). */
function readSize(unread: UnreadText): string | undefined {
  let found: string | undefined;
  const sized = (m: RegExpExecArray): boolean => {
    found ??= m[2] !== undefined ? `${m[1]}B-A${m[2]}B` : `${m[1]}B`;
    return true;
  };
  unread.take(SIZE_WITH_NOUN, sized);
  unread.take(SIZE_AFTER_ARTICLE, sized);
  if (found) return found;
  unread.take(NAME_WITH_SIZE, (m) => {
    found ??= unread.original.slice(m.index, m.index + m[0].length);
    return true;
  });
  return found;
}

// The object of "serve …", "fine-tune …", "for …": the words the user called the model.
const NAME_AFTER =
  /\b(?:serve|serving|host|hosting|run|running|fine[\s-]?tun(?:e|ing)|finetun(?:e|ing)|train(?:ing)?|(?:q?lora)\s+(?:on|of|for)|for|of|with)\s+((?:(?:a|an|the|my|our|this|that)\s+)?[^\s,;?!()]+(?:\s+[^\s,;?!()]+){0,3})/g;
const STOP_WORDS = new Set([
  'in',
  'with',
  'at',
  'on',
  'using',
  'under',
  'below',
  'over',
  'for',
  'to',
  'and',
  'or',
  'but',
  'via',
  'so',
  'if',
  'that',
  'which',
  'who',
  'please',
  'inference',
  'training',
  'cheaply',
  'cheap',
  'fast',
  'quickly',
  'locally',
  'from',
  'into',
  'do',
  'does',
  'is',
  'are',
  'would',
  'will',
  'should',
  'need',
  'i',
  'we',
]);
// Words that are a job or a GPU, not a model name.
const NOT_A_NAME =
  /^(?:fine[\s-]?tun\w*|finetun\w*|training|inference|serving|q?lora|peft|gpus?|cards?|vram|memory|hardware|instances?|machines?|setup|§g|which|what|how|me|us|you)$/;

function unknownName(unread: UnreadText): string | undefined {
  const text = unread.text;
  NAME_AFTER.lastIndex = 0;
  for (let m = NAME_AFTER.exec(text); m !== null; m = NAME_AFTER.exec(text)) {
    const start = m.index + m[0].length - m[1]!.length;
    const words: string[] = [];
    let offset = start;
    let end = start;
    for (const word of m[1]!.split(/\s+/)) {
      const at = text.indexOf(word, offset);
      offset = at + word.length;
      if (STOP_WORDS.has(word) || word.includes(GPU_MARK)) break;
      words.push(word);
      end = offset;
    }
    const articles = words.filter((w) => /^(?:a|an|the|this|that)$/.test(w)).length;
    if (words.length - articles === 0 || words.some((w) => NOT_A_NAME.test(w))) continue;
    return unread.original.slice(start, end).replace(/^(?:a|an|the)\s+/i, '');
  }
  return undefined;
}
