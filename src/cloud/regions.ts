import type { Region } from './provider.ts';

/** The regions people ask for, as tools take them. */
export const REGIONS = [
  'north-america',
  'south-america',
  'europe',
  'asia',
  'oceania',
  'africa',
] as const satisfies readonly Region[];

/**
 * Where people say a machine may be ("EU", "us", "north america", "Germany") turned into the ISO
 * 3166-1 alpha-2 codes that marketplaces report in an offer's location ("Oregon, US" → "US").
 * Regions are continents; a transcontinental country sits where its data centres mostly are
 * (Russia and Turkey in Europe, the Caucasus in Asia). Central America and the Caribbean belong
 * to North America.
 */

type CountryRow = readonly [code: string, name: string, aliases?: readonly string[]];

const COUNTRIES_BY_REGION: Readonly<Record<Region, readonly CountryRow[]>> = {
  europe: [
    ['AD', 'Andorra'],
    ['AL', 'Albania'],
    ['AT', 'Austria'],
    ['AX', 'Aland Islands'],
    ['BA', 'Bosnia and Herzegovina', ['bosnia']],
    ['BE', 'Belgium'],
    ['BG', 'Bulgaria'],
    ['BY', 'Belarus'],
    ['CH', 'Switzerland', ['swiss']],
    ['CY', 'Cyprus'],
    ['CZ', 'Czechia', ['czech republic']],
    ['DE', 'Germany', ['deutschland', 'german']],
    ['DK', 'Denmark'],
    ['EE', 'Estonia'],
    ['ES', 'Spain'],
    ['FI', 'Finland'],
    ['FO', 'Faroe Islands'],
    ['FR', 'France', ['french']],
    [
      'GB',
      'United Kingdom',
      ['uk', 'great britain', 'britain', 'british', 'england', 'scotland', 'wales', 'northern ireland'],
    ],
    ['GG', 'Guernsey'],
    ['GI', 'Gibraltar'],
    ['GR', 'Greece'],
    ['HR', 'Croatia'],
    ['HU', 'Hungary'],
    ['IE', 'Ireland'],
    ['IM', 'Isle of Man'],
    ['IS', 'Iceland'],
    ['IT', 'Italy', ['italian']],
    ['JE', 'Jersey'],
    ['LI', 'Liechtenstein'],
    ['LT', 'Lithuania'],
    ['LU', 'Luxembourg'],
    ['LV', 'Latvia'],
    ['MC', 'Monaco'],
    ['MD', 'Moldova'],
    ['ME', 'Montenegro'],
    ['MK', 'North Macedonia', ['macedonia']],
    ['MT', 'Malta'],
    ['NL', 'Netherlands', ['holland', 'dutch']],
    ['NO', 'Norway'],
    ['PL', 'Poland', ['polish']],
    ['PT', 'Portugal'],
    ['RO', 'Romania'],
    ['RS', 'Serbia'],
    ['RU', 'Russia', ['russian federation']],
    ['SE', 'Sweden', ['swedish']],
    ['SI', 'Slovenia'],
    ['SJ', 'Svalbard and Jan Mayen'],
    ['SK', 'Slovakia'],
    ['SM', 'San Marino'],
    ['TR', 'Turkey', ['turkiye']],
    ['UA', 'Ukraine'],
    ['VA', 'Vatican City', ['vatican', 'holy see']],
    ['XK', 'Kosovo'],
  ],
  'north-america': [
    ['AG', 'Antigua and Barbuda'],
    ['AI', 'Anguilla'],
    ['AW', 'Aruba'],
    ['BB', 'Barbados'],
    ['BL', 'Saint Barthelemy'],
    ['BM', 'Bermuda'],
    ['BQ', 'Caribbean Netherlands', ['bonaire']],
    ['BS', 'Bahamas'],
    ['BZ', 'Belize'],
    ['CA', 'Canada', ['canadian']],
    ['CR', 'Costa Rica'],
    ['CU', 'Cuba'],
    ['CW', 'Curacao'],
    ['DM', 'Dominica'],
    ['DO', 'Dominican Republic'],
    ['GD', 'Grenada'],
    ['GL', 'Greenland'],
    ['GP', 'Guadeloupe'],
    ['GT', 'Guatemala'],
    ['HN', 'Honduras'],
    ['HT', 'Haiti'],
    ['JM', 'Jamaica'],
    ['KN', 'Saint Kitts and Nevis'],
    ['KY', 'Cayman Islands'],
    ['LC', 'Saint Lucia'],
    ['MF', 'Saint Martin'],
    ['MQ', 'Martinique'],
    ['MS', 'Montserrat'],
    ['MX', 'Mexico'],
    ['NI', 'Nicaragua'],
    ['PA', 'Panama'],
    ['PM', 'Saint Pierre and Miquelon'],
    ['PR', 'Puerto Rico'],
    ['SV', 'El Salvador'],
    ['SX', 'Sint Maarten'],
    ['TC', 'Turks and Caicos Islands'],
    ['TT', 'Trinidad and Tobago'],
    [
      'US',
      'United States',
      ['usa', 'u s', 'u s a', 'united states of america', 'america', 'american', 'states'],
    ],
    ['VC', 'Saint Vincent and the Grenadines'],
    ['VG', 'British Virgin Islands'],
    ['VI', 'United States Virgin Islands', ['us virgin islands']],
  ],
  'south-america': [
    ['AR', 'Argentina'],
    ['BO', 'Bolivia'],
    ['BR', 'Brazil', ['brasil']],
    ['CL', 'Chile'],
    ['CO', 'Colombia'],
    ['EC', 'Ecuador'],
    ['FK', 'Falkland Islands'],
    ['GF', 'French Guiana'],
    ['GY', 'Guyana'],
    ['PE', 'Peru'],
    ['PY', 'Paraguay'],
    ['SR', 'Suriname'],
    ['UY', 'Uruguay'],
    ['VE', 'Venezuela'],
  ],
  asia: [
    ['AE', 'United Arab Emirates', ['uae', 'emirates']],
    ['AF', 'Afghanistan'],
    ['AM', 'Armenia'],
    ['AZ', 'Azerbaijan'],
    ['BD', 'Bangladesh'],
    ['BH', 'Bahrain'],
    ['BN', 'Brunei'],
    ['BT', 'Bhutan'],
    ['CN', 'China', ['prc', 'mainland china', 'chinese']],
    ['GE', 'Georgia'],
    ['HK', 'Hong Kong', ['hongkong']],
    ['ID', 'Indonesia'],
    ['IL', 'Israel'],
    ['IN', 'India', ['indian']],
    ['IQ', 'Iraq'],
    ['IR', 'Iran'],
    ['JO', 'Jordan'],
    ['JP', 'Japan', ['japanese']],
    ['KG', 'Kyrgyzstan'],
    ['KH', 'Cambodia'],
    ['KP', 'North Korea'],
    ['KR', 'South Korea', ['korea', 'republic of korea']],
    ['KW', 'Kuwait'],
    ['KZ', 'Kazakhstan'],
    ['LA', 'Laos'],
    ['LB', 'Lebanon'],
    ['LK', 'Sri Lanka'],
    ['MM', 'Myanmar', ['burma']],
    ['MN', 'Mongolia'],
    ['MO', 'Macao', ['macau']],
    ['MV', 'Maldives'],
    ['MY', 'Malaysia'],
    ['NP', 'Nepal'],
    ['OM', 'Oman'],
    ['PH', 'Philippines'],
    ['PK', 'Pakistan'],
    ['PS', 'Palestine'],
    ['QA', 'Qatar'],
    ['SA', 'Saudi Arabia', ['ksa']],
    ['SG', 'Singapore'],
    ['SY', 'Syria'],
    ['TH', 'Thailand'],
    ['TJ', 'Tajikistan'],
    ['TL', 'Timor-Leste', ['east timor']],
    ['TM', 'Turkmenistan'],
    ['TW', 'Taiwan'],
    ['UZ', 'Uzbekistan'],
    ['VN', 'Vietnam', ['viet nam']],
    ['YE', 'Yemen'],
  ],
  oceania: [
    ['AS', 'American Samoa'],
    ['AU', 'Australia', ['australian']],
    ['CK', 'Cook Islands'],
    ['FJ', 'Fiji'],
    ['FM', 'Micronesia'],
    ['GU', 'Guam'],
    ['KI', 'Kiribati'],
    ['MH', 'Marshall Islands'],
    ['MP', 'Northern Mariana Islands'],
    ['NC', 'New Caledonia'],
    ['NF', 'Norfolk Island'],
    ['NR', 'Nauru'],
    ['NU', 'Niue'],
    ['NZ', 'New Zealand', ['aotearoa']],
    ['PF', 'French Polynesia'],
    ['PG', 'Papua New Guinea'],
    ['PN', 'Pitcairn Islands'],
    ['PW', 'Palau'],
    ['SB', 'Solomon Islands'],
    ['TK', 'Tokelau'],
    ['TO', 'Tonga'],
    ['TV', 'Tuvalu'],
    ['VU', 'Vanuatu'],
    ['WF', 'Wallis and Futuna'],
    ['WS', 'Samoa'],
  ],
  africa: [
    ['AO', 'Angola'],
    ['BF', 'Burkina Faso'],
    ['BI', 'Burundi'],
    ['BJ', 'Benin'],
    ['BW', 'Botswana'],
    ['CD', 'Democratic Republic of the Congo', ['dr congo', 'drc', 'congo kinshasa']],
    ['CF', 'Central African Republic'],
    ['CG', 'Republic of the Congo', ['congo', 'congo brazzaville']],
    ['CI', "Cote d'Ivoire", ['ivory coast']],
    ['CM', 'Cameroon'],
    ['CV', 'Cabo Verde', ['cape verde']],
    ['DJ', 'Djibouti'],
    ['DZ', 'Algeria'],
    ['EG', 'Egypt'],
    ['EH', 'Western Sahara'],
    ['ER', 'Eritrea'],
    ['ET', 'Ethiopia'],
    ['GA', 'Gabon'],
    ['GH', 'Ghana'],
    ['GM', 'Gambia'],
    ['GN', 'Guinea'],
    ['GQ', 'Equatorial Guinea'],
    ['GW', 'Guinea-Bissau'],
    ['KE', 'Kenya'],
    ['KM', 'Comoros'],
    ['LR', 'Liberia'],
    ['LS', 'Lesotho'],
    ['LY', 'Libya'],
    ['MA', 'Morocco'],
    ['MG', 'Madagascar'],
    ['ML', 'Mali'],
    ['MR', 'Mauritania'],
    ['MU', 'Mauritius'],
    ['MW', 'Malawi'],
    ['MZ', 'Mozambique'],
    ['NA', 'Namibia'],
    ['NE', 'Niger'],
    ['NG', 'Nigeria'],
    ['RE', 'Reunion'],
    ['RW', 'Rwanda'],
    ['SC', 'Seychelles'],
    ['SD', 'Sudan'],
    ['SH', 'Saint Helena'],
    ['SL', 'Sierra Leone'],
    ['SN', 'Senegal'],
    ['SO', 'Somalia'],
    ['SS', 'South Sudan'],
    ['ST', 'Sao Tome and Principe'],
    ['SZ', 'Eswatini', ['swaziland']],
    ['TD', 'Chad'],
    ['TG', 'Togo'],
    ['TN', 'Tunisia'],
    ['TZ', 'Tanzania'],
    ['UG', 'Uganda'],
    ['YT', 'Mayotte'],
    ['ZA', 'South Africa', ['rsa']],
    ['ZM', 'Zambia'],
    ['ZW', 'Zimbabwe'],
  ],
};

const REGION_LIST = Object.keys(COUNTRIES_BY_REGION) as Region[];

/** What people call each region. "na" is North America here, not Namibia (spell Namibia out). */
const REGION_ALIASES: Readonly<Record<Region, readonly string[]>> = {
  europe: ['europe', 'eu', 'eur', 'european union', 'european'],
  'north-america': ['north america', 'na', 'noram', 'n america', 'northern america'],
  'south-america': ['south america', 's america', 'southern america'],
  asia: ['asia', 'asian'],
  oceania: ['oceania', 'australasia'],
  africa: ['africa', 'african'],
};

const MIDDLE_EAST = [
  'AE',
  'BH',
  'CY',
  'EG',
  'IL',
  'IQ',
  'IR',
  'JO',
  'KW',
  'LB',
  'OM',
  'PS',
  'QA',
  'SA',
  'SY',
  'TR',
  'YE',
];

/** Names for groups that cross regions; they yield countries but no single region. */
const GROUPS: ReadonlyArray<readonly [aliases: readonly string[], countries: () => string[]]> = [
  [
    ['americas', 'the americas'],
    () => [...countriesForRegion('north-america'), ...countriesForRegion('south-america')],
  ],
  [
    ['latam', 'latin america'],
    () => [
      ...countriesForRegion('south-america').filter((c) => !['FK', 'GF', 'GY', 'SR'].includes(c)),
      ...['MX', 'GT', 'BZ', 'SV', 'HN', 'NI', 'CR', 'PA', 'CU', 'DO', 'PR'],
    ],
  ],
  [['apac', 'asia pacific'], () => [...countriesForRegion('asia'), ...countriesForRegion('oceania')]],
  [['emea'], () => [...countriesForRegion('europe'), ...countriesForRegion('africa'), ...MIDDLE_EAST]],
  [['anz'], () => ['AU', 'NZ']],
  [['middle east', 'mideast', 'gulf'], () => [...MIDDLE_EAST]],
  [['nordics', 'nordic', 'scandinavia'], () => ['DK', 'FI', 'IS', 'NO', 'SE']],
];

const regionByCode = new Map<string, Region>();
const countryByName = new Map<string, string>();
for (const region of REGION_LIST) {
  for (const [code, name, aliases = []] of COUNTRIES_BY_REGION[region]) {
    regionByCode.set(code, region);
    for (const key of [name, ...aliases]) countryByName.set(normalisePlaceName(key), code);
  }
}

const regionByAlias = new Map<string, Region>();
for (const region of REGION_LIST) {
  for (const alias of REGION_ALIASES[region]) regionByAlias.set(normalisePlaceName(alias), region);
}

const groupByAlias = new Map<string, () => string[]>();
for (const [aliases, countries] of GROUPS) {
  for (const alias of aliases) groupByAlias.set(normalisePlaceName(alias), countries);
}

/** ISO-2 codes of every country and territory in the region. */
export function countriesForRegion(region: Region): string[] {
  return COUNTRIES_BY_REGION[region].map(([code]) => code);
}

/** The region an ISO-2 country code belongs to, or undefined for an unknown code. */
export function regionOfCountry(code: string): Region | undefined {
  return regionByCode.get(code.trim().toUpperCase());
}

export interface ParsedRegion {
  /** Set when the text named one region ("EU", "north america"), not a country or a group. */
  region?: Region;
  countries: string[];
}

/**
 * Reads loose location text: a region ("EU", "Europe", "north-america", "NA"), a country code
 * ("US", "de") or name ("usa", "Germany", "UK"), a cross-region group ("APAC", "LATAM",
 * "nordics"), or several of these joined by commas, "/", "+" or "or" ("EU or US"). Undefined
 * when any part is not understood, so the caller can ask rather than guess.
 */
export function parseRegion(text: string): ParsedRegion | undefined {
  const whole = parseOne(text);
  if (whole) return whole;
  const parts = text.split(/\s*(?:[,;/+|&]|\bor\b|\band\b)\s*/i).filter((p) => p.trim() !== '');
  if (parts.length < 2) return undefined;
  const countries = new Set<string>();
  for (const part of parts) {
    const parsed = parseOne(part);
    if (!parsed) return undefined;
    for (const c of parsed.countries) countries.add(c);
  }
  return { countries: [...countries] };
}

function parseOne(text: string): ParsedRegion | undefined {
  const key = normalisePlaceName(text);
  if (key === '') return undefined;
  const region = regionByAlias.get(key);
  if (region) return { region, countries: countriesForRegion(region) };
  const group = groupByAlias.get(key);
  if (group) return { countries: [...new Set(group())] };
  const upper = key.toUpperCase();
  if (/^[A-Z]{2}$/.test(upper) && regionByCode.has(upper)) return { countries: [upper] };
  const byName = countryByName.get(key);
  if (byName) return { countries: [byName] };
  return undefined;
}

/**
 * Every name this table knows for a place (regions, groups, countries and their aliases), in the
 * normalised form parseRegion reads: lower case, no accents, words separated by one space. For a
 * reader that finds places inside a sentence rather than being handed one.
 */
export function placeNames(): string[] {
  return [...new Set([...regionByAlias.keys(), ...groupByAlias.keys(), ...countryByName.keys()])];
}

/**
 * The fewest places a tool's region argument takes (whole regions, then single country codes)
 * that together cover exactly these countries: APAC is asia and oceania, ANZ is AU and NZ.
 */
export function coveringPlaces(countries: readonly string[]): string[] {
  const wanted = new Set(countries);
  const places: string[] = [];
  for (const region of REGION_LIST) {
    const members = countriesForRegion(region);
    if (members.every((code) => wanted.has(code))) {
      places.push(region);
      for (const code of members) wanted.delete(code);
    }
  }
  return [...places, ...wanted];
}

/** Lower case, accents and punctuation dropped, a leading "the" removed: "The Netherlands" → "netherlands". */
export function normalisePlaceName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .replace(/^the /, '');
}
