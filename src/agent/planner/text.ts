import { NUMBER_WORD, numberFromWord } from '../../util/number-words.ts';

/**
 * Text handling shared by the extractors: cleaning what chat platforms add to a message, and the
 * scratch copy the extractors consume piece by piece.
 */

/** Longest request the planner reads; longer text is almost always a paste, not a request. */
export const MAX_REQUEST_CHARS = 2000;

const VULGAR_FRACTIONS = String.raw`\u00bc-\u00be\u2150-\u215e\u2189`;
const ALL_BUT_VULGAR_FRACTIONS = new RegExp(`[^${VULGAR_FRACTIONS}]+`, 'g');

/**
 * Evens out how people type a request: full-width characters, smart quotes and dashes, emphasis
 * markers, and a leading bot name ("@gpuops", "gpuops,", "/gpuops", "hey gpuops"). A platform's
 * own syntax (Slack's `<@U1>` and `&amp;`, Discord's `<@123>`) is decoded by its adapter in
 * src/bots before the text gets here.
 */
export function cleanRequest(raw: string): string {
  // NFKC folds full-width digits and symbols ("＄０.５") into ASCII; skip it for plain ASCII. It
  // would also turn "½" into "1⁄2": vulgar fractions are kept as typed, so a refusal quotes them.
  let text = /[^\x20-\x7e]/.test(raw)
    ? raw.replace(ALL_BUT_VULGAR_FRACTIONS, (run) => run.normalize('NFKC'))
    : raw;
  text = text
    .replace(/[‘’‛`´]/g, "'")
    .replace(/[“”„]/g, '"')
    .replace(/[‐‑‒–—―−]/g, '-')
    .replace(/[*~]/g, ' ')
    // The scratch copy uses § as its own marker.
    .replace(/§/g, ' ')
    // Keep line breaks: a message with one request per line is several requests.
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
  return text.replace(/^(?:(?:hey|hi|hello|yo|ok|okay)\s+)?[@/]?gpuops\b[\s,:;.!-]*/i, '').trim();
}

/**
 * The request as the extractors see it: a lower-case copy in which each extractor blanks out what
 * it understood, so the next one cannot read the same words again (the "200" of "200 GB disk" is
 * not a price, the "80GB" of "A100 80GB" is not a memory filter). Blanking keeps every offset, so
 * `original` still gives the case-preserved text at the same positions (Docker image tags,
 * upper-case country codes).
 */
export class Scratch {
  readonly original: string;
  private masked: string;

  constructor(text: string) {
    const lower = text.toLowerCase();
    // A few characters change length when lower-cased; then offsets into the original would drift.
    this.original = lower.length === text.length ? text : lower;
    this.masked = lower;
  }

  get text(): string {
    return this.masked;
  }

  /** The text at [start, end) as the user wrote it (case and GPU names kept), for quoting back. */
  written(start: number, end: number): string {
    return this.original.slice(start, end).trim();
  }

  /** Blanks [start, end), optionally leaving a marker (such as "§g" for a GPU) at its start. */
  consume(start: number, end: number, marker = ''): void {
    const width = end - start;
    this.masked =
      this.masked.slice(0, start) + marker.slice(0, width).padEnd(width, ' ') + this.masked.slice(end);
  }

  /**
   * Runs a global regex over what is left and hands each match to `accept`; matches it accepts
   * (returns true for) are consumed. Matches are collected first so consuming cannot shift them.
   */
  take(pattern: RegExp, accept: (match: RegExpExecArray) => boolean): void {
    pattern.lastIndex = 0;
    const matches: RegExpExecArray[] = [];
    for (let m = pattern.exec(this.masked); m !== null; m = pattern.exec(this.masked)) {
      matches.push(m);
      if (m[0] === '') pattern.lastIndex++;
    }
    for (const m of matches) {
      if (accept(m)) this.consume(m.index, m.index + m[0].length);
    }
  }
}

/** The marker a recognised GPU name leaves in the scratch text, so counts can find "2x §g". */
export const GPU_MARK = '§g';

/** Regex source for a small whole number written as digits or as a word ("2", "two"). */
export const SMALL_NUMBER = String.raw`(\d{1,3}|${NUMBER_WORD})`;

// Letters people glue to a number as its unit ("2x", "200gb", "50c", "0.5hr", "4gpus", "3090s",
// "2nd"). Other letters glued on ("0.45abc", "$2k") make the whole token unreadable.
const GLUED_UNIT = `(?:x|gpus?|cards?|way|gb|gib|g|gigs?|gigabytes?|tb|tib|t|terabytes?|mb|c|ct|cts|cents?|usd|dollars?|bucks?|h|hr|hrs|hours?|d|days?|wk|weeks?|mo|months?|mins?|minutes?|s|secs?|seconds?|am|pm|st|nd|rd|th|pct|percent)(?![a-z])`;

/**
 * Regex source (no capture group) for one number as people write it, taken loosely so that what is
 * not exactly a number is seen whole and refused, never half read: "2", "1,250.50", ".5", "3.5",
 * "1,5", "1.2.3", "1e3", "1/2", "½", "2½", "nan", "inf", "∞", "0.45abc". Signs are left to each
 * pattern. Neither the digits nor the letters glued on are ever given back to let the rest of a
 * pattern match ("2abc" is not "2ab" and "c" for cents). readAmount and readNumber then accept
 * only the exact forms.
 */
export const NUMERAL = String.raw`(?:(?:nan|inf(?:inity|inite)?)(?![a-z])|∞|\d*[${VULGAR_FRACTIONS}]|(?:\d+|(?=\.\d))(?:[.,]\d+)*(?:e[-+]?\d+)?(?:[/⁄]\d+)?(?!\d|[.,/⁄]\d))(?:(?!${GLUED_UNIT})[a-z_]\w*\b)?`;

/** Regex source for a number as a word or as a signed NUMERAL ("two", "3", "-1", "3.5"); one group. */
export const WRITTEN_NUMBER = `(-?${NUMERAL}|${NUMBER_WORD})`;

/** Reads "2", "1,000", "3.5", "two" or "twenty-four"; undefined for anything else ("1e3", "½", "-1"). */
export function readNumber(word: string): number | undefined {
  const amount = readAmount(word);
  return Number.isNaN(amount) ? numberFromWord(word) : amount;
}

/**
 * Reads "1,250.50", "2" or ".4" exactly. Anything else is NaN, never a nearby number: "1,5" may be
 * 1.5 or 15, and "1e3", "-1", "½" or "0.45abc" are not amounts a person types for a price or size.
 */
export function readAmount(text: string): number {
  return /^(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)$/.test(text)
    ? Number(text.replace(/,/g, ''))
    : Number.NaN;
}

/** Rounds away binary noise (0.45 / 24 and friends) without losing meaningful digits. */
export function tidy(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
