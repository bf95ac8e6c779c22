/**
 * Whole numbers written as words ("two", "twenty-four", "a hundred"): the one list every reader of
 * chat text uses, so "twelve" means the same in a GPU count, a search limit and an advice question.
 */

const UNITS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
] as const;
const TENS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'] as const;

const VALUES = new Map<string, number>();
for (const [n, word] of UNITS.entries()) VALUES.set(word, n);
TENS.forEach((ten, i) => {
  VALUES.set(ten, (i + 2) * 10);
  for (let unit = 1; unit <= 9; unit++) VALUES.set(`${ten}-${UNITS[unit]}`, (i + 2) * 10 + unit);
});
VALUES.set('hundred', 100);
VALUES.set('thousand', 1000);

/**
 * Regex source (no capture group) for one number word, compounds hyphenated ("twenty-four").
 * Longest first, so "fourteen" is never read as "four" and "sixty" never as "six".
 */
export const NUMBER_WORD = [...VALUES.keys()]
  .filter((word) => !word.includes('-'))
  .sort((a, b) => b.length - a.length)
  .map((word) =>
    TENS.includes(word as (typeof TENS)[number]) ? `${word}(?:-(?:${UNITS.slice(1, 10).join('|')}))?` : word,
  )
  .join('|');

// Words that mean one before a noun ("an hour", "a 4090", "a single card"); not numbers on their own.
const ONE = new Set(['a', 'an', 'single']);

/**
 * The value of a number word: "two", "twenty-four" or "twenty four", "a hundred", "a thousand",
 * and "a"/"an"/"single" as one. Undefined for anything else: digits are read by their own readers.
 */
export function numberFromWord(text: string): number | undefined {
  const word = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (ONE.has(word)) return 1;
  const scaled = /^(?:a|one) (hundred|thousand)$/.exec(word);
  return VALUES.get(scaled ? scaled[1]! : word.replace(/ /g, '-'));
}
