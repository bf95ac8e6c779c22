import { coveringPlaces, parseRegion, placeNames, REGIONS } from '../../cloud/regions.ts';
import { escapeRegExp } from '../../util/escape-regexp.ts';
import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * Where the machine may be: a continent-sized region ("in Europe", "EU", "north america", "asia")
 * or a country as its ISO 3166-1 alpha-2 code ("in the US", "in Germany", "DE"), the two forms
 * regionArg accepts. A place after "in", "from", "region" and the like that is neither ("in
 * Atlantis", "in the moon", "in the Nordics") is asked about, never dropped.
 */

// Place names that are also everyday words or people's names ("Chad", "Jordan", "Georgia", the
// "states" of "the states"), and short ones that hide inside other text: read only after "in",
// "from" and the like, where every name regions.ts knows is read.
const ONLY_AFTER_A_PLACE_WORD = new Set([
  'states',
  'chad',
  'jordan',
  'georgia',
  'jersey',
  'guinea',
  'reunion',
  'gulf',
  'polish',
]);
const SHORT_NAMES_READ_ANYWHERE = new Set(['usa', 'uae', 'u s', 'u s a']);

// Two-letter codes read anywhere when written in capitals ("H100 SXM US", "4090 DE"): the
// countries and regions GPUs are commonly rented in. Other codes are also tech words ("ML" is
// Mali, "AI" Anguilla, "SD" Sudan), so they are read only after a place word ("in ML").
const CODES_READ_ANYWHERE = new Set(
  (
    'US CA MX BR AR CL CO GB UK DE FR NL BE LU ES PT IT CH AT IE IS NO SE FI DK PL CZ SK HU RO BG GR ' +
    'HR RS SI EE LV LT UA RU TR IL AE SA IN CN HK TW JP KR SG MY TH VN ID PH AU NZ ZA NG KE EG EU NA'
  ).split(' '),
);

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
// "in it", "in a minute", "from unread", "in the cloud", "region doesn't matter". Any other word
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
    'offers results account project team org organization organisation workspace unread template',
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
const REGION_EXAMPLES = REGIONS.map(placeName).join(', ');

// Every place name regions.ts knows that is safe to read anywhere in a sentence, longest first so
// "south africa" wins over "africa" and "north america" over "america". Words of a name may be
// written with spaces, dots or hyphens between them ("u.s.", "north-america").
const NAMED = placeNames()
  .filter((name) => !ONLY_AFTER_A_PLACE_WORD.has(name))
  .filter((name) => name.replace(/ /g, '').length >= 4 || SHORT_NAMES_READ_ANYWHERE.has(name))
  .sort((a, b) => b.length - a.length);
const NAMED_PATTERN = new RegExp(
  String.raw`(?<![\w.])(?:${NAMED.map((name) => name.split(' ').map(escapeRegExp).join('[\\s.-]+')).join('|')})(?![\w])`,
  'g',
);
const PLACE_CONTEXT = String.raw`\b(?:in|from|within|inside|based\s+in|located\s+in|hosted\s+in|near|region|location|country|datacenters?\s+in)\s*[:=]?\s*(?:the\s+)?`;
const CODE_IN_CONTEXT = new RegExp(String.raw`${PLACE_CONTEXT}([a-z]{2})(?=\b|-)`, 'g');
// "us-east", "eu-west": cloud-style region names.
const CLOUD_REGION = /\b(us|eu|ap)-(?:east|west|north|south|central)\w*/g;
const CAPITAL_CODE = /(?<![\w-])([A-Z]{2})(?!\w)/g;

export function extractRegion(unread: UnreadText, out: Extraction): void {
  const set = (written: string, start: number): boolean => setPlace(unread, out, written, start);
  unread.take(NAMED_PATTERN, (m) => set(m[0], m.index));
  // "ap-southeast-2" is Sydney as often as Singapore: Asia Pacific, not Asia.
  unread.take(CLOUD_REGION, (m) => set(m[1] === 'ap' ? 'apac' : m[1]!, m.index));
  unread.take(CODE_IN_CONTEXT, (m) => {
    const code = m[1]!;
    const strongContext = /\b(?:region|location|country)\b/.test(m[0]);
    // "in us" / "in the us" is a place; "in it" is not, unless written "in IT".
    const capital = unread.original.slice(m.index + m[0].length - 2, m.index + m[0].length);
    const plainWord = ENGLISH_WORDS.has(code) && code !== 'us' && capital !== capital.toUpperCase();
    if (plainWord && !strongContext) return false;
    return set(code, m.index + m[0].length - 2);
  });
  // Capitalised codes anywhere ("H100 SXM US", "4090 DE"), unless the whole message is shouted
  // ("GIVE US A 4090"): all capitals with at least one ordinary word in it.
  const shouted = !/[a-z]/.test(unread.original) && /\b[A-Z]{4,}\b/.test(unread.original);
  if (!shouted) {
    CAPITAL_CODE.lastIndex = 0;
    for (let m = CAPITAL_CODE.exec(unread.original); m !== null; m = CAPITAL_CODE.exec(unread.original)) {
      const code = m[1]!;
      if (CAPITAL_NON_PLACES.has(code) || !CODES_READ_ANYWHERE.has(code)) continue;
      // Only where no other extractor already took the text.
      if (unread.text.slice(m.index, m.index + 2) !== code.toLowerCase()) continue;
      if (set(code, m.index)) unread.consume(m.index, m.index + 2);
    }
  }
  unread.take(PLACE_AFTER_WORD, (m) => {
    readPlace(unread, out, m);
    return false;
  });
}

/**
 * Records a place regions.ts can read: a region, a country, or a group covered by a few places
 * (APAC: asia and oceania), which a search can split into one call each and anything else must
 * ask about. False when regions.ts does not know the text.
 */
function setPlace(unread: UnreadText, out: Extraction, written: string, start: number): boolean {
  const parsed = parseRegion(written.replace(/\./g, ''));
  if (parsed === undefined) return false;
  const single = parsed.region ?? (parsed.countries.length === 1 ? parsed.countries[0] : undefined);
  if (single !== undefined) {
    out.region ??= single;
    return true;
  }
  if (out.region !== undefined || out.problems.some((p) => p.field === 'region')) return true;
  // Quoted as written, with its "the" ("the Nordics").
  const the = /\bthe\s+$/i.exec(unread.original.slice(Math.max(0, start - 4), start))?.[0].length ?? 0;
  const quoted = unread.written(start - the, start + written.length);
  const places = coveringPlaces(parsed.countries);
  const names = places.map(placeName);
  const within =
    places.length <= MAX_SPLIT ? `, in ${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : '';
  const problem = {
    field: 'region' as const,
    message: `"${quoted}" covers several countries${within}: name one region (${REGION_EXAMPLES}) or one country, by name or two-letter code, e.g. "in Europe", "in Germany", "in the US" or "in DE".`,
  };
  out.problems.push(problem);
  if (places.length <= MAX_SPLIT) out.regionChoices = { places, problem };
  return true;
}

/** A group covered by at most this many places is searched place by place. */
const MAX_SPLIT = 4;

function placeName(place: string): string {
  return /^[A-Z]{2}$/.test(place)
    ? place
    : place
        .split('-')
        .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
        .join(' ');
}

/**
 * What is left after a place word once the known names are taken: a country the short table above
 * lacks ("Peru", "Isle of Man"), or a place no tool can take, which becomes a question.
 */
function readPlace(unread: UnreadText, out: Extraction, m: RegExpExecArray): void {
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
    if (value === undefined && coveringPlaces(parsed.countries).length > MAX_SPLIT) {
      group ??= name;
      continue;
    }
    setPlace(unread, out, unread.written(start, start + name.length), start);
    unread.consume(start, start + name.length);
    return;
  }
  if (out.problems.some((p) => p.field === 'region')) return;
  const place = group ?? words.slice(0, placeWords < 0 ? undefined : placeWords).join(' ');
  const written = unread.written(m.indices![1]?.[0] ?? start, start + place.length);
  const why = group ? `"${written}" covers several countries` : `I can't read "${written}" as a place`;
  out.problems.push({
    field: 'region',
    message: `${why}: name one region (${REGION_EXAMPLES}) or one country, by name or two-letter code, e.g. "in Europe", "in Germany", "in the US" or "in DE".`,
  });
}
