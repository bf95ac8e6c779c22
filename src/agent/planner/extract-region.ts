import { parseRegion, REGIONS } from '../../cloud/regions.ts';
import { escapeRegExp } from '../../util/escape-regexp.ts';
import type { Scratch } from './text.ts';
import type { Extraction } from './types.ts';

/**
 * Where the machine may be: a continent-sized region ("in Europe", "EU", "north america", "asia")
 * or a country as its ISO 3166-1 alpha-2 code ("in the US", "in Germany", "DE"), the two forms
 * regionArg accepts. A place after "in", "from", "region" and the like that is neither ("in
 * Atlantis", "in the moon", "in the Nordics") is asked about, never dropped.
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

// Words that follow "in", "from", "region" and the like without naming a place: "in no time",
// "in it", "in a minute", "from scratch", "in the cloud", "region doesn't matter". Any other word
// there is read as a place.
const NOT_PLACES = new Set(
  [
    // pronouns, articles, quantifiers, conjunctions and small verbs
    'a an the this that these those it its them they their there here me you your my our we us i one',
    'no none any some each every all both either neither another other same such what which whatever',
    "and or but nor so as if then than is are was be been being do does don't doesn't not matter matters",
    'please thanks thank asap now too also just only about around roughly exactly',
    // prepositions
    'at by for of on to with without within into onto from in inside near up down out off over under',
    'less more between after before',
    // time and manner: "in no time", "in parallel", "in one go"
    'time times moment moments minute minutes min mins second seconds sec secs hour hours hr hrs day days',
    'week weeks month months year years morning afternoon evening night tonight today tomorrow',
    'yesterday weekend meantime meanwhile future past advance order turn total general particular',
    'addition parallel bulk batch batches sequence series line stock use full short half mind hurry',
    'rush go row fact theory practice detail details question reason range limit limits case budget',
    'place person private public precision',
    // environments and sources: "in the cloud", "in docker", "from the list", "from the advisor"
    'production prod staging dev development test tests testing debug sandbox background foreground',
    'cloud docker container containers kubernetes python jupyter notebook terminal shell chat slack',
    'discord thread channel dm queue list pool cluster fleet market marketplace catalog catalogue',
    'offers results account project team org organization organisation workspace scratch template',
    'image source advisor recommendation suggestion answer pick top bottom end start beginning first',
    'last next previous following above below earlier later vast runpod aws gcp azure hub dockerhub',
    'huggingface',
    // the machine itself: "in one box", "in the same machine", "in memory"
    'memory ram vram gpu gpus cpu cpus card cards machine machines instance instances box boxes server',
    'servers node nodes region regions location locations country countries datacenter datacenters',
  ].flatMap((line) => line.split(' ')),
);

const PLACE_WORD = String.raw`\b(?:in|from|within|inside|near|region|location|country)(?: ?[:=])? `;
// A word of a place name: accented letters ("São Paulo", "Türkiye") and dotted abbreviations
// ("U.K.") included, digits not (places have none, "in fp16" is no place).
const LETTER = String.raw`a-z\u00e0-\u00f6\u00f8-\u00ff\u0100-\u017f`;
const NAME_WORD = String.raw`[${LETTER}](?:[${LETTER}'-]|\.(?=[${LETTER}]))*(?:(?<=\.[${LETTER}])\.)?(?![\w§])`;
// Up to three words after a place word, read without consuming them so that a place word among
// them ("in region Atlantis") starts a match of its own. Single spaces only: after cleanRequest a
// wider gap is text another extractor took ("in §g", "in Europe").
const PLACE_AFTER_WORD = new RegExp(`${PLACE_WORD}(?=(the )?(${NAME_WORD}(?: ${NAME_WORD}){0,2}))`, 'gd');
// "North America, South America, Europe, ...", for the question about an unknown place.
const REGION_EXAMPLES = REGIONS.map((region) =>
  region
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' '),
).join(', ');

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
  scratch.take(PLACE_AFTER_WORD, (m) => {
    readPlace(scratch, out, m);
    return false;
  });
}

/**
 * What is left after a place word once the known names are taken: a country the short table above
 * lacks ("Peru", "Isle of Man"), or a place no tool can take, which becomes a question.
 */
function readPlace(scratch: Scratch, out: Extraction, m: RegExpExecArray): void {
  const words = m[2]!.split(' ');
  const placeWords = words.findIndex((word) => NOT_PLACES.has(word));
  if (placeWords === 0) return;
  const [start] = m.indices![2]!;
  let group: string | undefined;
  // Longest first, through the words a place name may hold: "isle of man", "trinidad and tobago".
  for (let n = words.length; n > 0; n--) {
    const name = words.slice(0, n).join(' ');
    // "u.k." and "e.u." are the "uk" and "eu" the region table knows.
    const parsed = parseRegion(name.replace(/\./g, ''));
    if (parsed === undefined) continue;
    const value = parsed.region ?? (parsed.countries.length === 1 ? parsed.countries[0] : undefined);
    if (value === undefined) {
      group ??= name;
      continue;
    }
    out.region ??= value;
    scratch.consume(start, start + name.length);
    return;
  }
  if (out.problems.some((p) => p.field === 'region')) return;
  const place = group ?? words.slice(0, placeWords < 0 ? undefined : placeWords).join(' ');
  const written = scratch.written(m.indices![1]?.[0] ?? start, start + place.length);
  const why = group ? `"${written}" covers several countries` : `I can't read "${written}" as a place`;
  out.problems.push({
    field: 'region',
    message: `${why}: name one region (${REGION_EXAMPLES}) or one country, by name or two-letter code, e.g. "in Europe", "in Germany", "in the US" or "in DE".`,
  });
}
