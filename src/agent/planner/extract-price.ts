import { NUMERAL, readAmount, withoutFloatNoise } from './numerals.ts';
import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * The highest price the user accepts, in USD per GPU-hour: "$0.5/hr", "$0.45 per hour",
 * "50 cents", "50c/hr", "80¢", "under 1 dollar", "below $2", "less than 0.3 usd/h", "max 1.20",
 * "under a buck", "$10/day", "$2/hr total". A price after "over"/"from"/"between" is a floor, which
 * no tool takes, so it is consumed and ignored. An amount is read whole ("$NaN", "$1e308", "1,5",
 * "$0.45abc") and refused when it is not exactly dollars and cents, never read as a nearby price.
 */

// Starts only where a number starts, so a long digit run is not retried from every position.
const AMOUNT = String.raw`(?<![\w.,/⁄])(${NUMERAL})`;
const SIGN = String.raw`(-|\bminus\s+|\bnegative\s+)?`;
const PERIOD = String.raw`(?:\s*(?:/|\bper\b|\ban?\b|\beach\b|\bevery\b)\s*(?:gpu[\s-]*)?(h|hr|hrs|hours?|d|days?|wk|weeks?|mo|months?)\b|\s*\b(hourly|daily|weekly|monthly)\b)?`;
const PER_GPU = String.raw`(?:\s*(?:/|\bper\b|\ba\b|\beach\b|\bfor\s+each\b)\s*(?:gpu|card)\b(?:[\s-]*(?:h|hr|hour)\b)?)?`;
const TOTAL = String.raw`(\s*(?:\bin\s+total\b|\btotal\b|\baltogether\b|\bcombined\b|\bfor\s+(?:the\s+)?(?:whole\s+)?(?:machine|box|server|lot|all\s+of\s+them|both)\b))?`;
const TAIL = `${PERIOD}${PER_GPU}${TOTAL}`;

// After a bare amount: a unit that makes it a count, size or share, not dollars. A full stop
// may follow ("under 0.4."), a decimal point may not.
const NOT_A_PRICE_UNIT = String.raw`(?![\d,a-z%§×]|\.\d)(?!\s*(?:x\b|gb|gib|g\b|tb|gpus?|cards?|reliab|%))`;

const MAX_PRICE = 1000;
const HOURS_PER: Record<string, number> = { h: 1, d: 24, wk: 168, mo: 730 };

interface PriceForm {
  pattern: RegExp;
  /** Turns the match into dollars (before the per-period division). */
  dollars: (m: RegExpExecArray) => number;
  /** Index of the TAIL groups: period word, period adverb, then "total"; -1 for a form without one. */
  tail: number;
}

const WORD_DOLLARS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  ten: 10,
  'half a': 0.5,
};

const FORMS: PriceForm[] = [
  // "$0.5", "-$5", "$-5", "$ 1,200", "$.40 usd"
  {
    pattern: new RegExp(String.raw`${SIGN}\$\s*(-)?${AMOUNT}(?:\s*(?:usd|dollars?)\b)?${TAIL}`, 'g'),
    dollars: (m) => signed(m[1] ?? m[2], readAmount(m[3]!)),
    tail: 4,
  },
  // "0.3 usd", "1 dollar", "-5 dollars", "2 bucks", "0.40$"
  {
    pattern: new RegExp(String.raw`${SIGN}${AMOUNT}\s*(?:\$|\busd\b|\bdollars?\b|\bbucks?\b)${TAIL}`, 'g'),
    dollars: (m) => signed(m[1], readAmount(m[2]!)),
    tail: 3,
  },
  // "50 cents", "50c", "80¢", "45ct"
  {
    pattern: new RegExp(String.raw`${SIGN}${AMOUNT}\s*(?:¢|cents?\b|cts?\b|c\b)${TAIL}`, 'g'),
    dollars: (m) => signed(m[1], readAmount(m[2]!) / 100),
    tail: 3,
  },
  // "a dollar", "a buck", "two bucks", "half a dollar"
  {
    pattern: new RegExp(
      String.raw`\b(half\s+a|an?|one|two|three|four|five|ten)\s+(?:dollars?|bucks?)\b${TAIL}`,
      'g',
    ),
    dollars: (m) => WORD_DOLLARS[m[1]!.replace(/\s+/g, ' ')] ?? Number.NaN,
    tail: 2,
  },
  // "0.5/hr", "0.5 per hour", "1.2 an hour" (a rate makes a bare number a price)
  {
    pattern: new RegExp(
      String.raw`${SIGN}${AMOUNT}(?=\s*(?:/|\bper\b|\ban?\b)\s*(?:gpu[\s-]*)?(?:h|hr|hrs|hours?)\b)${TAIL}`,
      'g',
    ),
    dollars: (m) => signed(m[1], readAmount(m[2]!)),
    tail: 3,
  },
  // "under 0.5", "max 1.20", "budget 2": a bare number after a ceiling word, when no unit says otherwise
  {
    pattern: new RegExp(
      String.raw`(?:\b(?:under|below|less\s+than|cheaper\s+than|lower\s+than|max(?:imum)?(?:\s+price)?|at\s+most|up\s+to|no\s+more\s+than|not\s+more\s+than|budget(?:\s+(?:of|is))?|within|price\s+(?:cap|limit)(?:\s+of)?)|<=?|≤)\s*[:=]?\s*${SIGN}${AMOUNT}${NOT_A_PRICE_UNIT}(?!\s*(?:offers?|results?|options?|instances?|machines?|hosts?|days?|hours?|years?|months?|minutes?|-?gpu))`,
      'g',
    ),
    dollars: (m) => signed(m[1], readAmount(m[2]!)),
    tail: -1,
  },
  // "0.3 each", "0.5 per gpu": a bare number priced per GPU
  {
    pattern: new RegExp(
      String.raw`${SIGN}${AMOUNT}\s*(?:each|apiece|a\s+piece|per\s+(?:gpu|card))\b(?:[\s-]*(?:per\s+)?(?:h|hr|hour)\b)?`,
      'g',
    ),
    dollars: (m) => signed(m[1], readAmount(m[2]!)),
    tail: -1,
  },
  // "for 0.35", "at 0.4", "@ .5": a decimal after a price word reads as dollars; whole numbers
  // there are too often counts or days ("for 2", "at 3").
  {
    pattern: new RegExp(
      String.raw`(?:\b(?:for|at|around|about)|@)\s*${SIGN}(?=\d*\.\d)${AMOUNT}${NOT_A_PRICE_UNIT}`,
      'g',
    ),
    dollars: (m) => signed(m[1], readAmount(m[2]!)),
    tail: -1,
  },
];

const FLOOR_BEFORE =
  /(?:\bover|\babove|(?<!\bno\s+|\bnot\s+)\bmore\s+than|\bat\s+least|\bfrom|\bmin(?:imum)?|>=?|≥|\bstarting\s+at|\bbetween)\s*[:=]?\s*$/;
const CEILING_WORDS = /\b(?:under|below|less\s+than|max|at\s+most|up\s+to)\b/;
const FOREIGN_CURRENCY =
  /(?:[€£¥₹]\s*\d|(?<![\d.,])\d[\d.,]*\s*(?:[€£¥₹]|\beur\b|\beuros?\b|\bgbp\b|\bpounds?\b|\byen\b|\binr\b|\brupees?\b))/;

export function extractPrice(unread: UnreadText, out: Extraction): void {
  if (FOREIGN_CURRENCY.test(unread.text)) {
    out.problems.push({
      field: 'price',
      message: 'Prices are in US dollars per GPU-hour: say e.g. "under $0.50/hr".',
    });
  }
  for (const form of FORMS) {
    unread.take(form.pattern, (m) => {
      const before = unread.text.slice(Math.max(0, m.index - 24), m.index);
      let dollars = form.dollars(m);
      const isFloor = FLOOR_BEFORE.test(before) && !CEILING_WORDS.test(m[0]);
      if (form.tail >= 0) {
        dollars /= HOURS_PER[periodKey(m[form.tail] ?? m[form.tail + 1])] ?? 1;
        if (m[form.tail + 2] !== undefined) out.priceIsTotal = true;
      }
      if (isFloor || out.problems.some((p) => p.field === 'price')) return true;
      checkAndSet(out, withoutFloatNoise(dollars), unread.written(m.index, m.index + m[0].length));
      return true;
    });
  }
}

function checkAndSet(out: Extraction, dollars: number, written: string): void {
  // Unreadable is asked about even after a price was read: it is never skipped in silence.
  if (Number.isNaN(dollars)) {
    out.problems.push({
      field: 'price',
      message: `"${written}" is not a price I can read: write it in US dollars per GPU-hour, e.g. "under $0.50/hr" or "under 50 cents an hour".`,
    });
    return;
  }
  if (out.maxPrice !== undefined) return;
  if (!(dollars > 0)) {
    out.problems.push({
      field: 'price',
      message: `A price has to be more than $0 per GPU-hour, and "${written}" is not. Try e.g. "under $0.50/hr".`,
    });
    return;
  }
  if (dollars > MAX_PRICE) {
    out.problems.push({
      field: 'price',
      message: `"${written}" is more than the $${MAX_PRICE} per GPU-hour I accept as a price limit; no GPU rents for that much. Try e.g. "under $2/hr".`,
    });
    return;
  }
  out.maxPrice = dollars;
}

function signed(sign: string | undefined, value: number): number {
  return sign !== undefined && sign.trim() !== '' ? -value : value;
}

function periodKey(word: string | undefined): string {
  if (word === undefined) return 'h';
  if (word.startsWith('h')) return 'h';
  if (word.startsWith('d')) return 'd';
  if (word.startsWith('w')) return 'wk';
  return 'mo';
}
