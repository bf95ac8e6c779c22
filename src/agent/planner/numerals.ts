import { NUMBER_WORD, numberFromWord } from '../../util/number-words.ts';

/** How the planner reads numbers as people type them: the patterns that find them and the readers that accept only exact forms. */

/** Fractions typed as one character ("½"): found whole so a refusal can quote them. */
export const VULGAR_FRACTIONS = String.raw`\u00bc-\u00be\u2150-\u215e\u2189`;

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
export function withoutFloatNoise(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
