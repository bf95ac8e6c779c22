import { NUMERAL, readNumber, WRITTEN_NUMBER } from './numerals.ts';
import type { Extraction } from './types.ts';
import { GPU_MARK, type UnreadText } from './unread-text.ts';

/**
 * How many GPUs in one machine: "2x", "x2", "2 x", "two", "a pair of", "a couple of", "4 gpus",
 * "8xH100", "4-gpu", "8-way", "dual", "quad", "single". Runs after the GPU extractor so a count
 * is only read next to a GPU (its §g marker) or the word "gpu"/"card": "top 5" and "disk 100"
 * never become counts. A number in those places is read whole ("3.5", "½", "1e3", "-1") and
 * refused when it is not a whole count, never cut down to the digits that happen to fit.
 */

const GPU_NOUN = String.raw`(?:${GPU_MARK}|gpus?\b|cards?\b)`;
// Where a count cannot start: inside a longer number or word, or after a "$".
const START = String.raw`(?<![\w.,/⁄$-])`;
// A number glued to "x": "2x", "8x§g". A second number after the "x" ("2x½ §g", "2x3 §g") leaves
// the count unreadable.
const NUMBER_X = new RegExp(
  String.raw`${START}${WRITTEN_NUMBER}\s*[x×]\s*(-?${NUMERAL}\s*)?(?=${GPU_NOUN}|(?:more\s+|new\s+)?${GPU_NOUN})`,
  'g',
);
const MARK_X_NUMBER = new RegExp(String.raw`${GPU_MARK}(?:'?s)?\s*(?:[x×]|times)\s*(-?${NUMERAL})`, 'g');
const X_NUMBER_MARK = new RegExp(String.raw`${START}[x×]\s*(-?${NUMERAL})\s+(?=${GPU_MARK})`, 'g');
// "two §g", "4 gpus", "2 more §g", "2 reliable §g", "2 of the §g", "a 4-gpu box", "8 gpu machine"
const NUMBER_NOUN = new RegExp(
  String.raw`${START}${WRITTEN_NUMBER}(?:\s+|-)(?:(?:more|new|fresh|identical|reliable|of\s+(?:the|those|them|these))\s+)*(?=${GPU_NOUN})`,
  'g',
);
const MULTI_WAY = new RegExp(String.raw`${START}${WRITTEN_NUMBER}[\s-]*way\b`, 'g');
// "half a §g", "four and a half §g", "a quarter of an §g": a share of a GPU is no count.
const FRACTION_WORDS = new RegExp(
  String.raw`\b(?:${WRITTEN_NUMBER}\s+(?:and\s+)?)?(?:an?\s+)?(?:half|halves|quarters?|thirds?)(?:\s+of)?(?:\s+(?:an?|one|the))?\s+(?=${GPU_NOUN})`,
  'g',
);
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

export function extractCount(unread: UnreadText, out: Extraction): void {
  unread.take(FRACTION_WORDS, (m) => {
    setCount(out, undefined, unread.written(m.index, m.index + m[0].length));
    return true;
  });
  const numeric: RegExp[] = [NUMBER_X, MARK_X_NUMBER, X_NUMBER_MARK, NUMBER_NOUN, MULTI_WAY];
  for (const pattern of numeric) {
    unread.take(pattern, (m) => {
      // A count is written whole: "3.0" is a decimal, and a second number ("2x3") muddles the first.
      const value = m[2] === undefined && !m[1]!.includes('.') ? readNumber(m[1]!) : undefined;
      setCount(out, value, unread.written(m.index, m.index + m[0].length));
      // Keep the marker for the region/unknown extractors to skip; blank only the count.
      const at = m[0].indexOf(GPU_MARK);
      if (at >= 0) {
        unread.consume(m.index, m.index + at);
        unread.consume(m.index + at + GPU_MARK.length, m.index + m[0].length);
        return false;
      }
      return true;
    });
  }
  for (const [pattern, value] of PHRASES) {
    unread.take(pattern, (m) => {
      setCount(out, value, m[0].trim());
      return true;
    });
  }
}

function setCount(out: Extraction, value: number | undefined, written: string): void {
  if (out.problems.some((p) => p.field === 'count')) return;
  const readable = value !== undefined && Number.isInteger(value);
  // Unreadable is asked about even after a count was read: it is never skipped in silence.
  if (readable && out.count !== undefined) return;
  if (!readable || value < 1) {
    out.problems.push({
      field: 'count',
      message: `"${written}" is not a GPU count I can use: ask for a whole number of GPUs, 1 to ${MAX_COUNT}, e.g. "2x H100".`,
    });
  } else if (value > MAX_COUNT) {
    out.problems.push({
      field: 'count',
      message: `One machine holds at most ${MAX_COUNT} GPUs, and you asked for ${written}. Ask for ${MAX_COUNT} or fewer, e.g. "8x H100".`,
    });
  } else {
    out.count = value;
  }
}
