import { editDistance } from '../../util/edit-distance.ts';
import type { ModelSpec } from '../types.ts';
import { MODEL_CATALOG } from './catalog.ts';
import { isNumberToken, isSizeToken, modelTokens, normaliseModelText } from './normalise.ts';

/**
 * Finding catalog models from loosely written names: "llama3 70b", "Llama-3.1-70B-Instruct",
 * "qwen 2.5 7b instruct", "mistral nemo", "r1 distill llama 70b", "sdxl".
 *
 * Three steps, strictest first:
 * 1. the whole name run together is a known key (id, name or alias): "llama370b";
 * 2. every word of the name belongs to exactly one model's name ("r1 distill llama 70b"), or to
 *    several releases of one line that differ only by version ("llama 70b" → the newest, 3.3);
 * 3. for whole names, the same after dropping words no catalog name uses ("my llama 3 8b
 *    finetune" → Llama 3 8B).
 * A name must contain a family word ("llama", "qwen", ...) for steps 2 and 3, so "a 70b model"
 * never turns into a catalog model. A family with a size it does not have ("llama 3 13b") is
 * not found: a fine-tune of a size Meta never released is not a Llama 3 8B.
 */

interface Entry {
  model: ModelSpec;
  /** Tokens of the display name: what "extra words" are counted against. */
  nameTokens: string[];
  /** Tokens of the name and the id together: what a query's words must all belong to. */
  tokens: Set<string>;
}

const ENTRIES: readonly Entry[] = MODEL_CATALOG.map((model) => {
  const nameTokens = modelTokens(model.name);
  return { model, nameTokens, tokens: new Set([...nameTokens, ...modelTokens(model.id)]) };
});

const KEYS = new Map<string, ModelSpec>();
for (const entry of ENTRIES) {
  const { model } = entry;
  for (const key of [normaliseModelText(model.id), normaliseModelText(model.name), ...model.aliases]) {
    if (key !== '' && !KEYS.has(key)) KEYS.set(key, model);
  }
}

/** Words that name a model family; one must appear before a name is matched word by word. */
const FAMILY_WORDS = new Set([
  'llama',
  'qwen',
  'mistral',
  'mixtral',
  'codestral',
  'nemo',
  'gemma',
  'phi',
  'deepseek',
  'falcon',
  'command',
  'yi',
  'whisper',
  'stable',
  'diffusion',
  'sd',
  'sdxl',
  'flux',
  'bge',
  'minilm',
  'nomic',
]);

const VOCABULARY = new Set<string>();
for (const entry of ENTRIES) for (const token of entry.tokens) VOCABULARY.add(token);

/** First words a model mention can start with, so a sentence is only searched where it might be. */
const START_WORDS = new Set<string>(FAMILY_WORDS);
for (const entry of ENTRIES) if (entry.nameTokens[0]) START_WORDS.add(entry.nameTokens[0]);
const KEY_PREFIXES = new Set<string>();
for (const key of KEYS.keys()) for (let i = 2; i <= key.length; i++) KEY_PREFIXES.add(key.slice(0, i));

export function modelById(id: string): ModelSpec | undefined {
  return ENTRIES.find((e) => e.model.id === id)?.model;
}

/** The catalog model a loosely written name means, or undefined when none or several could. */
export function resolveModel(text: string): ModelSpec | undefined {
  const tokens = modelTokens(text);
  if (tokens.length === 0) return undefined;
  const exact = KEYS.get(tokens.join(''));
  if (exact) return exact;
  const strict = byTokens(tokens);
  if (strict) return strict;
  const known = tokens.filter((t) => VOCABULARY.has(t));
  return known.length < tokens.length && known.length > 0 ? byTokens(known) : undefined;
}

/** A strict reading for text inside a sentence: no words dropped, since the next word is not ours. */
function resolveStrict(text: string): ModelSpec | undefined {
  const tokens = modelTokens(text);
  if (tokens.length === 0) return undefined;
  return KEYS.get(tokens.join('')) ?? byTokens(tokens);
}

function byTokens(query: readonly string[]): ModelSpec | undefined {
  if (!query.some((t) => FAMILY_WORDS.has(t))) return undefined;
  const candidates = ENTRIES.filter((e) => query.every((t) => e.tokens.has(t)));
  if (candidates.length === 0) return undefined;
  const extras = (e: Entry): string[] => e.nameTokens.filter((t) => !query.includes(t));
  const fewest = Math.min(...candidates.map((e) => extras(e).length));
  const best = candidates.filter((e) => extras(e).length === fewest);
  if (best.length === 1) {
    const only = best[0]!.model;
    // Without a size, "gemma 3" could be any of its sizes: only a name that leaves no choice of
    // size counts ("phi 4", "codestral").
    const sized = query.some(isSizeToken);
    return sized || candidates.every((e) => e.model.paramsB === only.paramsB) ? only : undefined;
  }
  // "llama 70b": Llama 2, 3, 3.1 and 3.3 70B differ only by version; the newest is what people mean.
  const versions = best.map((e) => extras(e));
  if (versions.every((v) => v.length === 1 && isNumberToken(v[0]!))) {
    if (new Set(best.map(sizeOf)).size === 1) {
      return best.reduce((a, b) => (Number(extras(b)[0]) > Number(extras(a)[0]) ? b : a)).model;
    }
  }
  return undefined;
}

function sizeOf(entry: Entry): string {
  return entry.nameTokens.find(isSizeToken) ?? '';
}

/** Catalog models whose names are closest to the text, best first, for "did you mean". */
export function suggestModels(text: string, n = 3): ModelSpec[] {
  const query = modelTokens(text);
  if (query.length === 0) return [];
  const key = query.join('');
  const family = query.filter((t) => FAMILY_WORDS.has(t));
  const wantedSize = sizeValue(query.find(isSizeToken));
  const scored = ENTRIES.map((entry) => {
    let score = 0;
    for (const t of query)
      if (entry.tokens.has(t)) score += FAMILY_WORDS.has(t) ? 6 : isNumberToken(t) ? 2 : 3;
    if (family.length > 0 && !family.some((t) => entry.tokens.has(t))) score -= 10;
    const size = sizeValue(entry.nameTokens.find(isSizeToken)) ?? entry.model.paramsB;
    if (wantedSize !== undefined) score -= Math.abs(Math.log(size / wantedSize));
    const keys = [normaliseModelText(entry.model.name), ...entry.model.aliases];
    score -= Math.min(...keys.map((k) => editDistance(key, k))) / 4;
    return { model: entry.model, score };
  });
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, n).map((s) => s.model);
}

function sizeValue(token: string | undefined): number | undefined {
  if (token === undefined) return undefined;
  const experts = /^(\d+)x(\d+(?:\.\d+)?)b$/.exec(token);
  if (experts) return Number(experts[1]) * Number(experts[2]);
  const m = /^(\d+(?:\.\d+)?)([bm])$/.exec(token);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'm' ? 0.001 : 1);
}

/** True when the text names a catalog family ("llama", "stable diffusion") at all. */
export function mentionsModelFamily(text: string): boolean {
  return modelTokens(text).some((t) => FAMILY_WORDS.has(t));
}

export interface ModelMention {
  model: ModelSpec;
  /** Offsets of the words naming it in the text searched. */
  start: number;
  end: number;
}

interface Word {
  start: number;
  end: number;
  /** Could a model name start here? */
  starts: boolean;
}

function couldStart(word: string): boolean {
  const lower = word.toLowerCase();
  // A cheap look at the letter runs first: most words of a sentence are no model's first word.
  const runs = lower.match(/[a-z]+/g);
  if (!runs?.some((r) => START_WORDS.has(r) || KEY_PREFIXES.has(r))) return false;
  const first = modelTokens(lower)[0] ?? '';
  return START_WORDS.has(first) || KEY_PREFIXES.has(first);
}

const WORD = /[^\s,;!?()"[\]{}<>]+/g;
const MAX_SPAN_WORDS = 7;

/**
 * The first catalog model named inside a sentence ("can a 3090 run Command-R 35B?"), with where
 * it is. Tries runs of words from each word that could start a name, longest first, so
 * "llama 3.1 70b" wins over "llama 3.1".
 */
export function findModelMention(text: string): ModelMention | undefined {
  const words: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    const core = m[0].replace(/[.:'’]+$/, '');
    if (core === '') continue;
    words.push({ start: m.index, end: m.index + core.length, starts: couldStart(core) });
  }
  for (let i = 0; i < words.length; i++) {
    const first = words[i]!;
    if (!first.starts) continue;
    const last = Math.min(words.length - 1, i + MAX_SPAN_WORDS - 1);
    for (let j = last; j >= i; j--) {
      const span = text.slice(first.start, words[j]!.end);
      // One glued word ("Meta-Llama-3-8B-Instruct-abliterated") may carry its own extra tags.
      const model = j === i ? resolveModel(span) : resolveStrict(span);
      if (model) return { model, start: first.start, end: words[j]!.end };
    }
  }
  return undefined;
}
