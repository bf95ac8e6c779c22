import type { ModelSpec } from '../types.ts';

/**
 * Models outside the catalog, known only by a parameter count ("a 20B model", "my-finetune-13b").
 * Weights follow from the count alone; the KV cache needs a shape, which is interpolated from
 * real dense decoders of neighbouring sizes, so a 20B model gets a shape between Llama 2 13B and
 * Yi 34B rather than an arbitrary one.
 */

/** [parameters B, layers, hidden size] of real dense decoders, smallest first. */
const ANCHORS: ReadonlyArray<readonly [number, number, number]> = [
  [0.12, 12, 768], // GPT-2 small class
  [0.49, 24, 896], // Qwen2.5 0.5B
  [1.54, 28, 1536], // Qwen2.5 1.5B
  [3.21, 28, 3072], // Llama 3.2 3B
  [8.03, 32, 4096], // Llama 3.1 8B
  [13.02, 40, 5120], // Llama 2 13B
  [34.4, 60, 7168], // Yi 34B
  [70.55, 80, 8192], // Llama 3.1 70B
  [122.6, 88, 12288], // Mistral Large 2
  [405.85, 126, 16384], // Llama 3.1 405B
];

/** Context assumed for an unnamed model: what most current open models support. */
const SYNTHETIC_CONTEXT = 32768;
/** Vocabulary assumed for an unnamed model: current families use 128k–152k (Llama 3, Qwen2.5). */
const SYNTHETIC_VOCAB = 128_000;
/** Below this size current families tie the embedding and the head (Llama 3.2 1B/3B, Qwen2.5 ≤3B). */
const TIED_BELOW_B = 4;
/**
 * Most of a model's parameters the embedding matrices may take: 28% in Qwen2.5 0.5B, the largest
 * share among catalog decoders. A smaller made-up model gets a smaller vocabulary rather than a body
 * that shrinks to nothing.
 */
const MAX_EMBEDDING_SHARE = 0.3;

export interface SyntheticOptions {
  /** Parameters used per token, billions, for a mixture-of-experts model. */
  moeActiveB?: number;
  /** What the user called it ("my-finetune-13b"), kept in the display name. */
  name?: string;
}

/**
 * A plausible dense decoder shape for `paramsB` billion parameters: layers and width interpolated
 * (in log size) between the anchors, 128-wide heads (64 below 1.5B), grouped-query attention with
 * 8 KV heads from 7B up, a 128k vocabulary (tied below 4B, capped at 30% of the parameters). For a
 * mixture of experts the attention shape follows the active size, as it does in Mixtral and
 * DeepSeek, while the weights stay the total.
 */
export function syntheticModel(paramsB: number, opts: SyntheticOptions = {}): ModelSpec {
  if (!(paramsB > 0) || !Number.isFinite(paramsB)) throw new RangeError(`invalid parameter count ${paramsB}`);
  const active = opts.moeActiveB !== undefined && opts.moeActiveB < paramsB ? opts.moeActiveB : undefined;
  const shapeSize = active ?? paramsB;
  const [layersF, hiddenF] = interpolate(shapeSize);
  const headDim = shapeSize < 1.5 ? 64 : 128;
  const gqa = shapeSize >= 7;
  // Head counts in real models are multiples of 4 (of 8 with 8 KV heads); below 7B, one KV head
  // per 4 query heads, as in Llama 3.2 3B (24/8) or Qwen2.5 3B (16/2) give or take.
  const step = gqa ? 8 : 4;
  const heads = Math.max(step, Math.round(hiddenF / headDim / step) * step);
  const kvHeads = gqa ? 8 : heads / 4;
  const layers = Math.max(2, Math.round(layersF));
  const hiddenSize = heads * headDim;
  const tiedEmbeddings = paramsB < TIED_BELOW_B;
  const matrices = tiedEmbeddings ? 1 : 2;
  const vocabSize = Math.min(
    SYNTHETIC_VOCAB,
    Math.floor((MAX_EMBEDDING_SHARE * paramsB * 1e9) / (matrices * hiddenSize)),
  );
  const size = formatB(paramsB);
  const label = active !== undefined ? `${size}B MoE model (${formatB(active)}B active)` : `${size}B model`;
  return {
    id: `estimated-${active !== undefined ? `${size}b-a${formatB(active)}b` : `${size}b`}`,
    name: `${opts.name ? `${opts.name}, ` : ''}${label}, estimated shape`,
    family: 'estimated',
    kind: active !== undefined ? 'moe' : 'llm',
    paramsB,
    activeParamsB: active ?? paramsB,
    layers,
    hiddenSize,
    attentionHeads: heads,
    kvHeads,
    headDim,
    maxContext: SYNTHETIC_CONTEXT,
    vocabSize,
    tiedEmbeddings,
    nativePrecision: 'bf16',
    aliases: [],
    source:
      'estimated: not in the catalog; layers and widths interpolated from catalog models of similar size',
  };
}

function interpolate(paramsB: number): [number, number] {
  const x = Math.log(paramsB);
  // Past either end, the nearest segment's slope carries on.
  let i = 0;
  while (i < ANCHORS.length - 2 && x > Math.log(ANCHORS[i + 1]![0])) i++;
  const [p0, l0, h0] = ANCHORS[i]!;
  const [p1, l1, h1] = ANCHORS[i + 1]!;
  const t = (x - Math.log(p0)) / (Math.log(p1) - Math.log(p0));
  const layers = Math.exp(Math.log(l0) + t * (Math.log(l1) - Math.log(l0)));
  const hidden = Math.exp(Math.log(h0) + t * (Math.log(h1) - Math.log(h0)));
  return [Math.min(Math.max(layers, 2), 256), Math.min(Math.max(hidden, 128), 65536)];
}

function formatB(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export interface ParamCount {
  paramsB: number;
  /** Active parameters of a mixture of experts ("30B-A3B", "8x7B"), billions. */
  activeB?: number;
}

const UNIT_B: Record<string, number> = {
  b: 1,
  bn: 1,
  billion: 1,
  m: 0.001,
  million: 0.001,
  t: 1000,
  trillion: 1000,
};
const AMOUNT = String.raw`(\d+(?:\.\d+)?)`;
const UNIT = '(b|bn|billion|m|million|t|trillion)';
// "30b-a3b", "235B A22B": total and active in one name.
const TOTAL_ACTIVE = new RegExp(String.raw`(?<![\d.])${AMOUNT}\s*b[\s_-]*a${AMOUNT}b(?![a-z])`, 'i');
// "8x7b": N experts of M billion, two routed per token, as in Mixtral.
const EXPERTS = /(?<![\d.])(\d{1,2})x(\d+(?:\.\d+)?)b(?![a-z])/i;
// "20B", "1.5B params", "70 billion", "my-finetune-13b", "350M"; never "1B tokens".
const SIZE = new RegExp(
  String.raw`(?<![\d.])${AMOUNT}\s*${UNIT}(?![a-z])(?![\s-]*(?:tokens?|toks?|samples?|examples?|rows?|words?|images?)\b)`,
  'gi',
);

/**
 * A parameter count written in a model name or phrase: "20B" → 20, "1.5B params" → 1.5,
 * "70 billion" → 70, "350M" → 0.35, "30B-A3B" → 30 with 3 active, "8x7b" → 56 with 14 active
 * (an upper bound: real MoE models share attention between experts). Undefined when none.
 */
export function parseParamCount(text: string): ParamCount | undefined {
  const lower = text.toLowerCase();
  const moe = TOTAL_ACTIVE.exec(lower);
  if (moe) return { paramsB: Number(moe[1]), activeB: Number(moe[2]) };
  const experts = EXPERTS.exec(lower);
  if (experts) {
    const n = Number(experts[1]);
    const each = Number(experts[2]);
    return { paramsB: n * each, activeB: Math.min(n, 2) * each };
  }
  for (const m of lower.matchAll(SIZE)) {
    const value = Number(m[1]) * (UNIT_B[m[2]!] ?? Number.NaN);
    // Below 1M or above 10T parameters is not a model size but something else ("0b", a typo).
    if (value >= 0.001 && value <= 10_000) return { paramsB: value };
  }
  return undefined;
}
