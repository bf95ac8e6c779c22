import { GPU_CATALOG, type GpuModel, resolveGpu } from '../../cloud/gpu-catalog.ts';
import { NUMERAL } from './numerals.ts';
import type { Extraction } from './types.ts';
import { GPU_MARK, type UnreadText } from './unread-text.ts';

/**
 * GPU names, written loosely: "4090", "rtx4090", "RTX-4090", "geforce 4090", "A100 80G",
 * "a100-80gb", "h100 sxm", "3090s", "MI300X", "8xH100". Each recognised name is replaced by a
 * marker so the count extractor can read "2x §g" / "two §g" / "§g x2".
 *
 * Names are found by trying runs of up to four words, longest first, through resolveGpu — the
 * same resolver the tools use, so whatever the planner recognises the deploy tool accepts too.
 */

const MAX_WORDS = 4;

// Words without digits that belong to GPU names ("rtx", "sxm", "ti"), taken from the catalog so
// a new model's words are known without touching this file. "gb" joins "A100 80 GB" into one name.
const NAME_WORDS = new Set<string>([
  'nvidia',
  'geforce',
  'amd',
  'instinct',
  'radeon',
  'quadro',
  'super',
  'gb',
]);
for (const model of GPU_CATALOG) {
  for (const name of [model.marketName, model.displayName]) {
    for (const word of name.toLowerCase().split(/[\s-]+/)) {
      if (!/\d/.test(word)) NAME_WORDS.add(word);
    }
  }
}

interface Word {
  text: string;
  start: number;
  end: number;
}

const WORD = /[^\s,;!?()"'<>/+&|]+/g;

function words(text: string): Word[] {
  const found: Word[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    // "4090." at the end of a sentence, "(a100)", "#h100".
    const trimmed = m[0].replace(/^[#"'.:]+/, '');
    const lead = m[0].length - trimmed.length;
    const core = trimmed.replace(/[.:'"]+$/, '');
    if (core !== '') found.push({ text: core, start: m.index + lead, end: m.index + lead + core.length });
  }
  return found;
}

/** Could this word be part of a GPU name? Lets most of a sentence skip the catalog lookups. */
function nameLike(word: string): boolean {
  // No GPU name word is longer than "a100sxm480gb"; a long run of digits is something else.
  return word.length <= 16 && (/\d/.test(word) || NAME_WORDS.has(word));
}

export function extractGpus(unread: UnreadText, out: Extraction): void {
  const list = words(unread.text);
  for (let i = 0; i < list.length; i++) {
    const first = list[i]!;
    if (!nameLike(first.text)) continue;
    let match = longestName(list, i);
    if (!match) {
      const unglued = withoutGluedCount(first);
      if (unglued) {
        list[i] = unglued;
        match = longestName(list, i);
      }
    }
    if (!match) continue;
    if (!out.gpus.includes(match.model)) out.gpus.push(match.model);
    unread.consume(match.start, match.end, GPU_MARK);
    i = match.lastWord;
  }
}

interface NameMatch {
  model: GpuModel;
  start: number;
  end: number;
  lastWord: number;
}

function longestName(list: Word[], from: number): NameMatch | undefined {
  let last = from;
  while (last + 1 < list.length && last - from + 1 < MAX_WORDS && nameLike(list[last + 1]!.text)) last++;
  for (let to = last; to >= from; to--) {
    const span = list.slice(from, to + 1);
    // A run must hold a digit: "rtx" or "sxm" alone names nothing.
    if (!span.some((w) => /\d/.test(w.text))) continue;
    const model = resolveGpu(span.map((w) => w.text).join(' '));
    if (model) return { model, start: list[from]!.start, end: list[to]!.end, lastWord: to };
  }
  return undefined;
}

// Any number, not only a usable count, so that "1000000xh100" and "2.5xa100" reach the count
// extractor, which refuses them, rather than leaving the GPU unread.
const COUNT_BEFORE_NAME = new RegExp(`^-?${NUMERAL}[x×](.{2,})$`);
const COUNT_AFTER_NAME = new RegExp(`^(.{2,}?)[x×]-?${NUMERAL}$`);

/**
 * "8xh100" and "4090x2" glue the count to the name. Returns the name part alone, so the count
 * stays beside the marker ("8x§g", "§g x2") for the count extractor. The marker needs two
 * characters of room, which every catalog name has.
 */
function withoutGluedCount(word: Word): Word | undefined {
  const before = COUNT_BEFORE_NAME.exec(word.text);
  if (before) return { text: before[1]!, start: word.end - before[1]!.length, end: word.end };
  const after = COUNT_AFTER_NAME.exec(word.text);
  if (after) return { text: after[1]!, start: word.start, end: word.start + after[1]!.length };
  return undefined;
}

// Words shaped like GPU names: "rtx 9090", "a200", "mi400x", "b300", "9090", "5070 ti".
const BRANDED =
  /\b(?:rtx|gtx|rx|quadro|tesla|titan|radeon|instinct|geforce)[\s-]?[a-z]?\d{2,4}[a-z]{0,4}\b(?:\s+(?:ti|super|xt))?/g;
const LETTERS_DIGITS = /(?<![\w§-])[a-wyz][a-z]?\d{2,3}[a-z]{0,4}\b(?![-.]\d)/g;
const FOUR_DIGITS =
  /(?<![\w$.,§-])\d{4}(?:\s*(?:ti|super))?\b(?![.,]\d|\s*(?:gb|mb|tb|usd|dollars?|\$|hours?|days?|%))/g;

/**
 * After every other extractor ran, GPU-looking words left over name a model the catalog does not
 * have. The planner asks about them instead of silently dropping the constraint.
 */
export function extractUnknownGpus(unread: UnreadText, out: Extraction): void {
  for (const pattern of [BRANDED, LETTERS_DIGITS, FOUR_DIGITS]) {
    unread.take(pattern, (m) => {
      out.unknownGpus.push(unread.original.slice(m.index, m.index + m[0].length).trim());
      return true;
    });
  }
}
