import { NUMBER_WORD } from '../../util/number-words.ts';
import { NUMERAL, readAmount, readNumber, SMALL_NUMBER, withoutFloatNoise } from './numerals.ts';
import type { Extraction, OfferOrder } from './types.ts';
import { GPU_MARK, type UnreadText } from './unread-text.ts';

/** Offer filters: host reliability, sort order, how many offers, and GPU memory. */

const AT_LEAST = String.raw`(?:at\s+least|min(?:imum)?|>=?|≥|over|above|more\s+than|greater\s+than|higher\s+than|better\s+than|of|:|=|is|with)`;
const RELIABILITY_WORD = '(?:reliab(?:le|ility)|uptime)';
// Read whole, sign included, so "-99%" or "99,5%" is refused rather than read as 99.
const PERCENT = String.raw`(?<![\w.,/⁄-])(-?${NUMERAL})\s*(%|percent\b)?`;

const NUMBER_THEN_WORD = new RegExp(
  String.raw`(?:\b(?:with\s+)?${AT_LEAST}\s+)?${PERCENT}\s*(?:host\s+)?${RELIABILITY_WORD}\b`,
  'g',
);
// Only the noun here: in "reliable 4090" the number is a GPU, not a reliability.
const WORD_THEN_NUMBER = new RegExp(
  String.raw`\b(?:min(?:imum)?\s+)?(?:reliability|uptime)(?:\s+(?:score|rating))?(?:\s*${AT_LEAST})*\s*${PERCENT}`,
  'g',
);

export function extractReliability(unread: UnreadText, out: Extraction): void {
  for (const pattern of [NUMBER_THEN_WORD, WORD_THEN_NUMBER]) {
    unread.take(pattern, (m) => {
      const value = readAmount(m[1]!);
      // Without a % sign a number over 100 is something else (a GPU model, a price), and one over 1
      // before the adjective is a count ("2 reliable 4090s").
      if (m[2] === undefined && (value > 100 || (value > 1 && /reliable\s*$/.test(m[0])))) return false;
      if (out.problems.some((p) => p.field === 'reliability')) return true;
      // Unreadable is asked about even after a reliability was read: it is never skipped in silence.
      if (!Number.isNaN(value) && out.minReliability !== undefined) return true;
      // "99%" and "reliability 95" are percentages; "0.98" is already a fraction.
      const fraction = m[2] !== undefined || value > 1 ? value / 100 : value;
      if (!(fraction >= 0 && fraction <= 1)) {
        out.problems.push({
          field: 'reliability',
          message: `"${unread.written(m.index, m.index + m[0].length)}" is not a reliability I can use: give a share from 0 to 1 or a percentage from 0 to 100%, e.g. "99% reliability".`,
        });
        return true;
      }
      out.minReliability = withoutFloatNoise(fraction);
      return true;
    });
  }
}

const SORT_BY = String.raw`(?:(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?)\s+by\s+(?:the\s+)?(?:best\s+|highest\s+|lowest\s+)?|by\s+)`;
const ORDER_PHRASES: ReadonlyArray<readonly [OfferOrder, string]> = [
  [
    'performance_per_dollar',
    String.raw`best\s+value|(?:best\s+|most\s+)?bang\s+for\s+(?:the|your|my|our)?\s*bucks?|(?:best\s+)?perf(?:ormance)?\s*(?:per|/|for\s+the)\s*(?:dollar|\$|buck|money|price)|price[\s/-]*(?:to[\s-]*)?performance|value\s+for\s+money|most\s+cost[\s-]*effective|${SORT_BY}(?:value|performance\s+per\s+dollar|perf(?:ormance)?)`,
  ],
  [
    'reliability',
    String.raw`most\s+reliable|most\s+stable|(?:highest|best|top)\s+reliability|reliability\s+first|${SORT_BY}reliability`,
  ],
  [
    'price',
    String.raw`cheapest|cheap|lowest[\s-]+(?:price|cost)|least\s+expensive|low\s+cost|price\s+(?:ascending|low\s+to\s+high)|${SORT_BY}(?:price|cost)`,
  ],
];
// "5 cheapest" carries a limit too; "4090 sorted by price" does not (that number is a GPU).
const LIMIT_BEFORE_ORDER = String.raw`(?:(?<![\w.$-])(\d{1,2}|${NUMBER_WORD})\s+(?!sort|order|rank|by\b))?`;
const ORDER = ORDER_PHRASES.map(
  ([order, phrase]) =>
    [order, new RegExp(String.raw`${LIMIT_BEFORE_ORDER}\b(?:${phrase})(?!\w)`, 'g')] as const,
);

export function extractOrder(unread: UnreadText, out: Extraction): void {
  for (const [order, pattern] of ORDER) {
    unread.take(pattern, (m) => {
      out.order ??= order;
      if (m[1] !== undefined) setLimit(out, readNumber(m[1]));
      return true;
    });
  }
}

const NOT_A_LIMIT = String.raw`(?!\s*(?:[x×]\b|gpus?\b|cards?\b|gb\b|%))`;
const LIMIT_PATTERNS = [
  // "top 5", "first 10", "limit 3"
  new RegExp(String.raw`\b(?:top|first|best|limit(?:ed)?(?:\s+to)?)\s+${SMALL_NUMBER}\b${NOT_A_LIMIT}`, 'g'),
  // "3 offers", "5 a100 results" (but not the "5070" of "rtx 5070 offers")
  new RegExp(
    String.raw`(?<!(?:rtx|gtx|rx|quadro|titan)[\s-]?)\b${SMALL_NUMBER}\s+(?=(?:${GPU_MARK}\s+)?(?:offers?|results?|options?|deals?|listings?|hosts?|choices|matches|quotes)\b)`,
    'g',
  ),
  // "show 3", "give me five": a number straight after a showing verb, when no GPU follows.
  new RegExp(
    String.raw`\b(?:show|list|give|display|see)(?:\s+(?:me|us))?(?:\s+(?:the|just|only))?\s+${SMALL_NUMBER}\b(?!\s*(?:[x×]\b|gpus?\b|cards?\b|gb\b|%|${GPU_MARK}))`,
    'g',
  ),
];

export function extractLimit(unread: UnreadText, out: Extraction): void {
  for (const pattern of LIMIT_PATTERNS) {
    unread.take(pattern, (m) => {
      const value = readNumber(m[1]!);
      if (value === undefined) return false;
      setLimit(out, value);
      // Keep the verb for intent scoring; consume only the number.
      unread.consume(m.index + m[0].lastIndexOf(m[1]!), m.index + m[0].lastIndexOf(m[1]!) + m[1]!.length);
      return false;
    });
  }
}

const MAX_LIMIT = 50;

function setLimit(out: Extraction, value: number | undefined): void {
  if (value === undefined || out.limit !== undefined) return;
  if (value < 1) {
    out.problems.push({ field: 'limit', message: 'I can show 1 to 50 offers at a time.' });
    return;
  }
  // More than the tool shows is still a clear wish for "as many as you can".
  out.limit = Math.min(Math.floor(value), MAX_LIMIT);
}

const MEMORY_UNIT = '(?:gb|gib|g|gigs?|gigabytes?)';
const MEMORY_WORD = String.raw`(?:of\s+)?(?:gpu\s+)?(?:v?ram|memory)`;
const MEMORY_PATTERNS = [
  // "48gb or more", "at least 24 GB of VRAM", "24gb+", "24+ gb", "with 80gb"
  new RegExp(
    String.raw`(?:\b(?:at\s+least|min(?:imum)?|>=?|≥|more\s+than|over|above|with|of|having)\s+)?\b(\d+(?:\.\d+)?)\s*(?:\+\s*)?${MEMORY_UNIT}\b(?:\s*\+)?(?:\s*${MEMORY_WORD}\b)?(?:\s*(?:\+|or\s+(?:more|higher|bigger|above|better|larger)|and\s+(?:up|above)|minimum|min|at\s+least))?`,
    'g',
  ),
  // "vram >= 24", "memory of 40gb", "VRAM: 48"
  new RegExp(
    String.raw`\b(?:v?ram|memory)\s*(?:${AT_LEAST}\s*)*(\d+(?:\.\d+)?)\s*(?:\+\s*)?(?:${MEMORY_UNIT}\b)?`,
    'g',
  ),
];

export function extractMemory(unread: UnreadText, out: Extraction): void {
  for (const pattern of MEMORY_PATTERNS) {
    unread.take(pattern, (m) => {
      // "64GB RAM" on its own is the host's system memory, which no tool filters on.
      if (/\bram\b/.test(m[0]) && !/gpu/.test(m[0])) return true;
      if (out.minGpuRamGb !== undefined) return true;
      const gb = Number(m[1]);
      if (!(gb > 0 && gb <= 1024)) {
        out.problems.push({
          field: 'memory',
          message: `GPU memory of ${m[1]} GB is out of range (1-1024 GB).`,
        });
        return true;
      }
      out.minGpuRamGb = gb;
      return true;
    });
  }
}
