import { describe, expect, it } from 'vitest';
import type { Region } from '../../src/cloud/provider.ts';
import { countriesForRegion, parseRegion, regionOfCountry } from '../../src/cloud/regions.ts';

const REGIONS: Region[] = ['north-america', 'south-america', 'europe', 'asia', 'oceania', 'africa'];

describe('regions', () => {
  it('lists the main GPU-hosting countries of each region', () => {
    expect(countriesForRegion('europe')).toEqual(
      expect.arrayContaining(['DE', 'FR', 'GB', 'NL', 'SE', 'PL', 'ES']),
    );
    expect(countriesForRegion('north-america')).toEqual(expect.arrayContaining(['US', 'CA', 'MX']));
    expect(countriesForRegion('south-america')).toEqual(expect.arrayContaining(['BR', 'AR', 'CL']));
    expect(countriesForRegion('asia')).toEqual(expect.arrayContaining(['JP', 'KR', 'SG', 'IN', 'TW', 'HK']));
    expect(countriesForRegion('oceania')).toEqual(expect.arrayContaining(['AU', 'NZ']));
    expect(countriesForRegion('africa')).toEqual(expect.arrayContaining(['ZA', 'NG', 'KE', 'EG']));
  });

  it('puts every country in exactly one region, as upper-case ISO-2 codes', () => {
    const all = REGIONS.flatMap(countriesForRegion);
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((c) => /^[A-Z]{2}$/.test(c))).toBe(true);
    expect(all.length).toBeGreaterThan(230);
    expect(regionOfCountry('de')).toBe('europe');
    expect(regionOfCountry('ZZ')).toBeUndefined();
  });

  it.each<[string, Region]>([
    ['EU', 'europe'],
    ['Europe', 'europe'],
    ['north america', 'north-america'],
    ['North-America', 'north-america'],
    ['NA', 'north-america'],
    ['south america', 'south-america'],
    ['asia', 'asia'],
    ['Oceania', 'oceania'],
    ['africa', 'africa'],
  ])('reads "%s" as the region %s', (text, region) => {
    expect(parseRegion(text)).toEqual({ region, countries: countriesForRegion(region) });
  });

  it.each<[string, string]>([
    ['US', 'US'],
    ['usa', 'US'],
    ['U.S.A.', 'US'],
    ['United States', 'US'],
    ['de', 'DE'],
    ['Germany', 'DE'],
    ['UK', 'GB'],
    ['the Netherlands', 'NL'],
    ['Côte d’Ivoire', 'CI'],
    ['South Korea', 'KR'],
    ['Trinidad & Tobago', 'TT'],
  ])('reads "%s" as the country %s', (text, code) => {
    expect(parseRegion(text)).toEqual({ countries: [code] });
  });

  it('reads several places joined together as all their countries', () => {
    const parsed = parseRegion('US or Canada');
    expect(parsed).toEqual({ countries: ['US', 'CA'] });
    const mixed = parseRegion('EU, US');
    expect(mixed?.region).toBeUndefined();
    expect(mixed?.countries).toEqual([...countriesForRegion('europe'), 'US']);
  });

  it('reads groups that span regions without claiming one region', () => {
    expect(parseRegion('APAC')?.countries).toEqual(expect.arrayContaining(['JP', 'AU']));
    expect(parseRegion('APAC')?.region).toBeUndefined();
    expect(parseRegion('nordics')).toEqual({ countries: ['DK', 'FI', 'IS', 'NO', 'SE'] });
  });

  it('returns undefined for text it does not understand', () => {
    expect(parseRegion('')).toBeUndefined();
    expect(parseRegion('Mars')).toBeUndefined();
    expect(parseRegion('US or Mars')).toBeUndefined();
    expect(parseRegion('ZZ')).toBeUndefined();
  });
});
