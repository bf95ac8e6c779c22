import type { REGIONS } from '../../tools/args.ts';
import type { Scratch } from './text.ts';
import type { Extraction } from './types.ts';

/**
 * Where the machine may be: a continent-sized region ("in Europe", "EU", "north america", "asia")
 * or a country as its ISO 3166-1 alpha-2 code ("in the US", "in Germany", "DE"), the two forms
 * regionArg accepts.
 */

type RegionName = (typeof REGIONS)[number];

const REGION_NAMES: ReadonlyArray<readonly [string, RegionName]> = [
  ['north america', 'north-america'],
  ['north-america', 'north-america'],
  ['n america', 'north-america'],
  ['south america', 'south-america'],
  ['south-america', 'south-america'],
  ['latin america', 'south-america'],
  ['latam', 'south-america'],
  ['europe', 'europe'],
  ['european', 'europe'],
  ['emea', 'europe'],
  ['asia', 'asia'],
  ['asian', 'asia'],
  ['apac', 'asia'],
  ['asia pacific', 'asia'],
  ['asia-pacific', 'asia'],
  ['oceania', 'oceania'],
  ['africa', 'africa'],
  ['african', 'africa'],
];

/** Country names (and a few adjectives) people use, with their ISO codes. */
const COUNTRY_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['united states', 'US'],
  ['united states of america', 'US'],
  ['usa', 'US'],
  ['u.s.a.', 'US'],
  ['u.s.a', 'US'],
  ['u.s.', 'US'],
  ['america', 'US'],
  ['american', 'US'],
  ['the states', 'US'],
  ['canada', 'CA'],
  ['canadian', 'CA'],
  ['mexico', 'MX'],
  ['brazil', 'BR'],
  ['argentina', 'AR'],
  ['chile', 'CL'],
  ['colombia', 'CO'],
  ['united kingdom', 'GB'],
  ['great britain', 'GB'],
  ['britain', 'GB'],
  ['british', 'GB'],
  ['england', 'GB'],
  ['scotland', 'GB'],
  ['germany', 'DE'],
  ['german', 'DE'],
  ['france', 'FR'],
  ['french', 'FR'],
  ['netherlands', 'NL'],
  ['the netherlands', 'NL'],
  ['holland', 'NL'],
  ['dutch', 'NL'],
  ['belgium', 'BE'],
  ['luxembourg', 'LU'],
  ['spain', 'ES'],
  ['portugal', 'PT'],
  ['italy', 'IT'],
  ['italian', 'IT'],
  ['switzerland', 'CH'],
  ['swiss', 'CH'],
  ['austria', 'AT'],
  ['ireland', 'IE'],
  ['iceland', 'IS'],
  ['norway', 'NO'],
  ['sweden', 'SE'],
  ['swedish', 'SE'],
  ['finland', 'FI'],
  ['denmark', 'DK'],
  ['poland', 'PL'],
  ['polish', 'PL'],
  ['czechia', 'CZ'],
  ['czech republic', 'CZ'],
  ['slovakia', 'SK'],
  ['hungary', 'HU'],
  ['romania', 'RO'],
  ['bulgaria', 'BG'],
  ['greece', 'GR'],
  ['croatia', 'HR'],
  ['serbia', 'RS'],
  ['slovenia', 'SI'],
  ['estonia', 'EE'],
  ['latvia', 'LV'],
  ['lithuania', 'LT'],
  ['ukraine', 'UA'],
  ['russia', 'RU'],
  ['turkey', 'TR'],
  ['israel', 'IL'],
  ['uae', 'AE'],
  ['united arab emirates', 'AE'],
  ['saudi arabia', 'SA'],
  ['india', 'IN'],
  ['indian', 'IN'],
  ['china', 'CN'],
  ['chinese', 'CN'],
  ['hong kong', 'HK'],
  ['taiwan', 'TW'],
  ['japan', 'JP'],
  ['japanese', 'JP'],
  ['south korea', 'KR'],
  ['korea', 'KR'],
  ['singapore', 'SG'],
  ['malaysia', 'MY'],
  ['thailand', 'TH'],
  ['vietnam', 'VN'],
  ['indonesia', 'ID'],
  ['philippines', 'PH'],
  ['australia', 'AU'],
  ['australian', 'AU'],
  ['new zealand', 'NZ'],
  ['south africa', 'ZA'],
  ['nigeria', 'NG'],
  ['kenya', 'KE'],
  ['egypt', 'EG'],
];

/** Short forms: region abbreviations and the country codes of the names above. */
const SHORT_FORMS = new Map<string, string>([
  ...COUNTRY_NAMES.map(([, code]) => [code.toLowerCase(), code] as const),
  // After the country codes, so the region reading of "SA" wins over Saudi Arabia.
  ['eu', 'europe'],
  ['na', 'north-america'],
  ['sa', 'south-america'],
  ['uk', 'GB'],
]);

// Two-letter codes that are also everyday English words: only taken when the context says
// "region" ("in DE", "region: IT") or when written in capitals, never from "in it" or "in no time".
const ENGLISH_WORDS = new Set([
  'it',
  'in',
  'is',
  'at',
  'no',
  'me',
  'my',
  'be',
  'do',
  'so',
  'to',
  'or',
  'an',
  'as',
  'us',
  'id',
  'na',
  'sa',
]);
// Capitalised words that are not places in a GPU request ("80 GB", "ID", "OK").
const CAPITAL_NON_PLACES = new Set([
  'GB',
  'TB',
  'ID',
  'IT',
  'OK',
  'AM',
  'PM',
  'IN',
  'IS',
  'AT',
  'NO',
  'ME',
  'MY',
  'BE',
  'DO',
  'SO',
  'TO',
  'OR',
  'AN',
  'AS',
  'SA',
  'NA',
]);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const NAMED: ReadonlyArray<readonly [string, string]> = [...REGION_NAMES, ...COUNTRY_NAMES].sort(
  (a, b) => b[0].length - a[0].length,
);
const NAMED_LOOKUP = new Map<string, string>(NAMED.map(([name, value]) => [name, value]));
// Longest names first, so "south africa" wins over "africa" and "north america" over "america".
const NAMED_PATTERN = new RegExp(
  String.raw`(?<![\w.])(?:${NAMED.map(([name]) => escapeRegExp(name)).join('|')})(?![\w])`,
  'g',
);
const PLACE_CONTEXT = String.raw`\b(?:in|from|within|inside|based\s+in|located\s+in|hosted\s+in|near|region|location|country|datacenters?\s+in)\s*[:=]?\s*(?:the\s+)?`;
const CODE_IN_CONTEXT = new RegExp(String.raw`${PLACE_CONTEXT}([a-z]{2})(?=\b|-)`, 'g');
// "us-east", "eu-west": cloud-style region names.
const CLOUD_REGION = /\b(us|eu|ap)-(?:east|west|north|south|central)\w*/g;
const CAPITAL_CODE = /(?<![\w-])([A-Z]{2})(?!\w)/g;

export function extractRegion(scratch: Scratch, out: Extraction): void {
  const set = (value: string | undefined): boolean => {
    if (value === undefined) return false;
    out.region ??= value;
    return true;
  };
  scratch.take(NAMED_PATTERN, (m) => set(NAMED_LOOKUP.get(m[0])));
  scratch.take(CLOUD_REGION, (m) => set(m[1] === 'ap' ? 'asia' : SHORT_FORMS.get(m[1]!)));
  scratch.take(CODE_IN_CONTEXT, (m) => {
    const code = m[1]!;
    const strongContext = /\b(?:region|location|country)\b/.test(m[0]);
    // "in us" / "in the us" is a place; "in it" is not, unless written "in IT".
    const capital = scratch.original.slice(m.index + m[0].length - 2, m.index + m[0].length);
    const plainWord = ENGLISH_WORDS.has(code) && code !== 'us' && capital !== capital.toUpperCase();
    if (plainWord && !strongContext) return false;
    return set(SHORT_FORMS.get(code));
  });
  // Capitalised codes anywhere ("H100 SXM US", "4090 DE"), unless the whole message is shouted
  // ("GIVE US A 4090"): all capitals with at least one ordinary word in it.
  const shouted = !/[a-z]/.test(scratch.original) && /\b[A-Z]{4,}\b/.test(scratch.original);
  if (!shouted) {
    CAPITAL_CODE.lastIndex = 0;
    for (let m = CAPITAL_CODE.exec(scratch.original); m !== null; m = CAPITAL_CODE.exec(scratch.original)) {
      const code = m[1]!;
      if (CAPITAL_NON_PLACES.has(code)) continue;
      // Only where no other extractor already took the text.
      if (scratch.text.slice(m.index, m.index + 2) !== code.toLowerCase()) continue;
      const value = SHORT_FORMS.get(code.toLowerCase());
      if (value !== undefined && set(value)) scratch.consume(m.index, m.index + 2);
    }
  }
}
