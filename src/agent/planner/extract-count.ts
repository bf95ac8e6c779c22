import { GPU_MARK, readNumber, type Scratch, SMALL_NUMBER } from './text.ts';
import type { Extraction } from './types.ts';

/**
 * How many GPUs in one machine: "2x", "x2", "2 x", "two", "a pair of", "a couple of", "4 gpus",
 * "8xH100", "4-gpu", "8-way", "dual", "quad", "single". Runs after the GPU extractor so a count
 * is only read next to a GPU (its §g marker) or the word "gpu"/"card": "top 5" and "disk 100"
 * never become counts.
 */

const GPU_NOUN = String.raw`(?:${GPU_MARK}|gpus?\b|cards?\b)`;
// A number glued to "x": "2x", "8x§g"; it must not be part of a longer number or price.
const NUMBER_X = new RegExp(
  String.raw`(?<![\w.$-])${SMALL_NUMBER}\s*[x×]\s*(?=${GPU_NOUN}|(?:more\s+|new\s+)?${GPU_NOUN})`,
  'g',
);
const MARK_X_NUMBER = new RegExp(String.raw`${GPU_MARK}(?:'?s)?\s*(?:[x×]|times)\s*(\d{1,3})\b`, 'g');
const X_NUMBER_MARK = new RegExp(String.raw`(?<![\w.$-])[x×]\s*(\d{1,3})\s+(?=${GPU_MARK})`, 'g');
// "two §g", "4 gpus", "2 more §g", "2 of the §g", "a 4-gpu box", "8 gpu machine"
const NUMBER_NOUN = new RegExp(
  String.raw`(?<![\w.$-])${SMALL_NUMBER}(?:\s+|-)(?:(?:more|new|fresh|identical|of\s+(?:the|those|them|these))\s+)*(?=${GPU_NOUN})`,
  'g',
);
const MULTI_WAY = new RegExp(String.raw`(?<![\w.$-])${SMALL_NUMBER}[\s-]*way\b`, 'g');
const PHRASES: ReadonlyArray<readonly [RegExp, number]> = [
  [new RegExp(String.raw`\b(?:a\s+)?(?:pair|couple|brace)\s+(?:of\s+)?(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 2],
  [new RegExp(String.raw`\b(?:a\s+)?trio\s+(?:of\s+)?(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 3],
  [new RegExp(String.raw`\b(?:a\s+)?(?:single|lone|solo)[\s-]+(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 1],
  [new RegExp(String.raw`\b(?:dual|twin|double)[\s-]+(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 2],
  [new RegExp(String.raw`\b(?:triple)[\s-]+(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 3],
  [new RegExp(String.raw`\bquad[\s-]*(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 4],
  [new RegExp(String.raw`\bocto[\s-]*(?=(?:\S+\s+)?${GPU_NOUN})`, 'g'), 8],
  [new RegExp(String.raw`\ba\s+dozen\s+(?=${GPU_NOUN})`, 'g'), 12],
];

const MAX_COUNT = 16;

export function extractCount(scratch: Scratch, out: Extraction): void {
  const numeric: RegExp[] = [NUMBER_X, MARK_X_NUMBER, X_NUMBER_MARK, NUMBER_NOUN, MULTI_WAY];
  for (const pattern of numeric) {
    scratch.take(pattern, (m) => {
      const value = readNumber(m[1]!);
      if (value === undefined) return false;
      setCount(out, value, m[0].trim());
      // Keep the marker for the region/unknown extractors to skip; blank only the count.
      const at = m[0].indexOf(GPU_MARK);
      if (at >= 0) {
        scratch.consume(m.index, m.index + at);
        scratch.consume(m.index + at + GPU_MARK.length, m.index + m[0].length);
        return false;
      }
      return true;
    });
  }
  for (const [pattern, value] of PHRASES) {
    scratch.take(pattern, (m) => {
      setCount(out, value, m[0].trim());
      return true;
    });
  }
}

function setCount(out: Extraction, value: number, written: string): void {
  if (out.count !== undefined || out.problems.some((p) => p.field === 'count')) return;
  if (!Number.isInteger(value) || value < 1) {
    out.problems.push({
      field: 'count',
      message: `"${written}" is not a GPU count I can use: ask for 1 to ${MAX_COUNT} GPUs.`,
    });
    return;
  }
  if (value > MAX_COUNT) {
    out.problems.push({
      field: 'count',
      message: `One machine holds at most ${MAX_COUNT} GPUs, and you asked for ${value}. Ask for ${MAX_COUNT} or fewer, e.g. "8x H100".`,
    });
    return;
  }
  out.count = value;
}
