import { NUMBER_WORD, numberFromWord } from '../../util/number-words.ts';
import { readAmount } from './numerals.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * A job's limits and retries as people say them: "stop after 2 hours or $5", "for at most 90
 * minutes", "no more than $10", "budget $3", "retry on failure", "--retries 3", "retry 3 times".
 * Read before the shared extractors, which would take "$5" for a price per GPU-hour; a price said
 * per hour ("under $0.50/hr") is left to them. A value that cannot be read exactly is a problem to
 * ask about, never a nearby number.
 */

export interface JobLimits {
  maxHours?: number;
  maxCost?: number;
  retries?: number;
  /** Why a limit said could not be used, to ask about instead of running. */
  problem?: string;
}

/**
 * "retry on failure" without a number: one move to another machine. It is what the tool tells a
 * model the phrase means, so the planner and a model agree; a lost host is rare enough that a
 * second loss in one run says more about the job than the market, and every move rents again.
 */
export const RETRIES_WHEN_UNSAID = 1;
const MAX_RETRIES = 10;
const MAX_HOURS = 30 * 24;
const MAX_COST = 1_000_000;

const NUMBER = String.raw`(\d+(?:[.,]\d+)*|${NUMBER_WORD}|an?|half\s+an?)`;
const TIME_UNIT = '(hours?|hrs?|h|minutes?|mins?|m|days?|d)';
const DURATION = String.raw`(?<![\w.,$])${NUMBER}\s*-?\s*${TIME_UNIT}\b`;
// Dollars said as an amount, not a rate: a "/hr" or "an hour" after it makes it a price.
const PER_HOUR = String.raw`(?!\s*(?:/|\bper\b|\ban?\b|\beach\b)\s*(?:gpu[\s-]*)?(?:h|hr|hrs|hours?|gpu)\b|\s*\bhourly\b)`;
const MONEY = String.raw`(?:\$\s*(\d+(?:[.,]\d+)*)|(\d+(?:[.,]\d+)*)\s*(?:\$|usd\b|dollars?\b|bucks?\b))${PER_HOUR}`;
const ONE_LIMIT = `(?:${DURATION}|${MONEY})`;

const STOP_AT = String.raw`\b(?:stop|end|kill|cancel|abort|cap|limit|halt|quit|bail|time\s*out)(?:\s+(?:it|the\s+(?:job|run|training)|everything))?\s+(?:after|at|once\s+(?:it\s+)?(?:hits|reaches|has\s+cost|costs)|if\s+it\s+(?:takes|runs|costs|goes\s+over|exceeds)(?:\s+(?:more\s+than|over|longer\s+than))?)\s+`;
const AT_MOST = String.raw`\b(?:(?:for|take|taking|run(?:ning)?|spend(?:ing)?|cost(?:ing)?)\s+)?(?:at\s+most|no\s+more\s+than|not\s+more\s+than|no\s+longer\s+than|max(?:imum)?(?:\s+(?:of|cost|time|runtime|duration|spend))?|up\s+to|within|less\s+than|cap(?:ped)?\s+at|budget(?:\s+(?:of|is))?|time\s+limit(?:\s+of)?|timeout(?:\s+of)?|cost\s+(?:cap|limit)(?:\s+of)?)\s*[:=]?\s*`;
// A limit said, then more limits joined to it: "after 2 hours or $5", "2h, $10".
const CHAIN = String.raw`${ONE_LIMIT}(?:\s*(?:,|or|and|/)\s*(?:after\s+|at\s+most\s+)?${ONE_LIMIT})*`;
// "don't spend more than $5", "must not run longer than 3 hours"
const NEVER_MORE = String.raw`\b(?:don'?t|do\s+not|never|shouldn'?t|must\s*n(?:o|')t|won'?t)\s+(?:let\s+it\s+)?(?:spend|cost|go\s+(?:over|above|beyond)|exceed|run|take|last)(?:\s+(?:more|longer)\s+than|\s+over)?\s+`;
// "keep it under $5", "total cost under $10": a money limit, where a bare "under $5" is a price.
const COST_UNDER = String.raw`\b(?:keep\s+(?:it|the\s+(?:cost|bill|spend|total))|(?:total\s+)?(?:cost|spend|bill)(?:\s+(?:is|of))?)\s+(?:under|below|within|less\s+than)\s+`;
const LIMIT_PHRASES = [
  new RegExp(`${NEVER_MORE}${CHAIN}`, 'g'),
  new RegExp(`${COST_UNDER}${CHAIN}`, 'g'),
  // "a 2 hour limit", "3h max"
  new RegExp(String.raw`${DURATION}\s*(?:max(?:imum)?|limit|cap|tops|at\s+most|time\s*limit|timeout)\b`, 'g'),
  new RegExp(`${STOP_AT}${CHAIN}`, 'g'),
  new RegExp(`${AT_MOST}${CHAIN}`, 'g'),
  // "for 2 hours", "under 90 minutes": how long it may run
  new RegExp(String.raw`\b(?:for|under|below)\s+${DURATION}`, 'g'),
  // "a $5 budget", "$10 max", "$3 total"
  new RegExp(
    String.raw`(?:\ba\s+)?${MONEY}\s*(?:budget|max(?:imum)?|cap|limit|total|in\s+total|tops|all\s+in|at\s+most)\b`,
    'g',
  ),
];
const LIMIT_IN_PHRASE = new RegExp(ONE_LIMIT, 'g');

const RETRY_PHRASES: ReadonlyArray<{ pattern: RegExp; count: (m: RegExpExecArray) => number | undefined }> = [
  { pattern: /(?:--retries|\bretries)\s*[:=]?\s*(\d\S*)/g, count: (m) => wholeNumber(m[1]!) },
  {
    pattern: new RegExp(String.raw`\bretry(?:\s+it)?\s+(?:up\s+to\s+|at\s+most\s+)?${NUMBER}\s+times\b`, 'g'),
    count: (m) => wholeNumber(m[1]!),
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:with\s+)?(?:up\s+to\s+|at\s+most\s+)?${NUMBER}\s+(?:re-?tries|retry|attempts?\s+more)\b`,
      'g',
    ),
    count: (m) => wholeNumber(m[1]!),
  },
  { pattern: /\bretry(?:\s+it)?\s+once\b/g, count: () => 1 },
  { pattern: /\bretry(?:\s+it)?\s+twice\b/g, count: () => 2 },
  {
    pattern: /\b(?:no\s+retries|(?:don'?t|do\s+not|never)\s+retry|without\s+retr(?:y|ies)(?:ing)?)\b/g,
    count: () => 0,
  },
  {
    pattern:
      /\b(?:(?:and\s+)?(?:auto[\s-]?)?retr(?:y|ies|ying)(?:\s+it)?(?:\s+(?:on|if|when|after|upon)\s+(?:(?:a|the|it|its)\s+)?(?:host\s+|machine\s+)?(?:failure|fails?|failing|dies|died|crash(?:es|ed)?|is\s+lost|gets\s+(?:lost|preempted)|preempt\w*|errors?|loss))?|with\s+retries|resum(?:e|ing)\s+(?:on|after)\s+(?:a\s+)?(?:failure|crash))\b/g,
    count: () => RETRIES_WHEN_UNSAID,
  },
];

// "--max-hours 2", "--max-cost=5": flags of the CLI's own, whose numbers carry no unit.
const FLAGS: ReadonlyArray<{ pattern: RegExp; set: (limits: JobLimits, value: number) => void }> = [
  {
    pattern: /--max-hours(?:\s+|=)(\S+)/g,
    set: (limits, value) => {
      if (value > 0 && value <= MAX_HOURS) limits.maxHours ??= value;
      else limits.problem ??= `--max-hours takes hours from more than 0 to ${MAX_HOURS}.`;
    },
  },
  {
    pattern: /--max-cost(?:\s+|=)\$?(\S+)/g,
    set: (limits, value) => {
      if (value > 0 && value <= MAX_COST) limits.maxCost ??= value;
      else limits.problem ??= '--max-cost takes US dollars for the whole job, more than 0.';
    },
  },
];

export function extractJobLimits(unread: UnreadText): JobLimits {
  const limits: JobLimits = {};
  for (const { pattern, set } of FLAGS) {
    unread.take(pattern, (m) => {
      const value = readAmount(m[1]!.replace(/[.,;!?]+$/, ''));
      if (Number.isNaN(value))
        limits.problem ??= `I can't read "${unread.written(m.index, m.index + m[0].length)}" as a number.`;
      else set(limits, value);
      return true;
    });
  }
  for (const { pattern, count } of RETRY_PHRASES) {
    unread.take(pattern, (m) => {
      if (limits.retries !== undefined || limits.problem !== undefined) return true;
      const value = count(m);
      if (value === undefined || value > MAX_RETRIES) {
        limits.problem = `"${unread.written(m.index, m.index + m[0].length)}" is not a number of retries I can use: a job moves to another machine at most ${MAX_RETRIES} times, e.g. "retry 3 times".`;
      } else limits.retries = value;
      return true;
    });
  }
  for (const pattern of LIMIT_PHRASES) {
    unread.take(pattern, (m) => {
      for (const one of m[0].matchAll(LIMIT_IN_PHRASE))
        readOne(limits, one, unread.written(m.index, m.index + m[0].length));
      return true;
    });
  }
  return limits;
}

function readOne(limits: JobLimits, m: RegExpMatchArray, written: string): void {
  if (limits.problem !== undefined) return;
  // Groups: 1 number and 2 unit of a time; 3 or 4 the dollars of an amount.
  if (m[2] !== undefined) {
    const amount = amountOf(m[1]!);
    const hours = amount === undefined ? undefined : inHours(amount, m[2]);
    if (hours === undefined || !(hours > 0)) {
      limits.problem = `I can't read "${written}" as a time limit: say e.g. "stop after 2 hours" or "for at most 90 minutes".`;
    } else if (hours > MAX_HOURS) {
      limits.problem = `"${written}" is more than 30 days, the longest a job runs: say e.g. "stop after 48 hours".`;
    } else limits.maxHours ??= hours;
    return;
  }
  const dollars = readAmount((m[3] ?? m[4])!);
  if (!(dollars > 0) || dollars > MAX_COST) {
    limits.problem = `I can't read "${written}" as a money limit: say it in US dollars for the whole job, e.g. "stop after $5".`;
  } else limits.maxCost ??= dollars;
}

function amountOf(written: string): number | undefined {
  const word = written.replace(/\s+/g, ' ');
  if (word === 'a' || word === 'an') return 1;
  if (word === 'half a' || word === 'half an') return 0.5;
  const digits = readAmount(word);
  return Number.isNaN(digits) ? numberFromWord(word) : digits;
}

function inHours(amount: number, unit: string): number {
  if (unit.startsWith('d')) return amount * 24;
  if (unit.startsWith('m')) return amount / 60;
  return amount;
}

function wholeNumber(written: string): number | undefined {
  const value = amountOf(written.replace(/[.,;:!?]+$/, ''));
  return value !== undefined && Number.isInteger(value) && value >= 0 ? value : undefined;
}
