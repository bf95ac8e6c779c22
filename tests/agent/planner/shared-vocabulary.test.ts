import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';
import { coveringPlaces, parseRegion } from '../../../src/cloud/regions.ts';
import { minutesPerUnit, secondsPerUnit } from '../../../src/util/duration-units.ts';
import { numberFromWord } from '../../../src/util/number-words.ts';

describe('places mean in the planner what they mean in cloud/regions.ts', () => {
  it('searches Asia and Oceania for APAC, so Australia is not dropped', () => {
    expect(planRequest('what GPUs are available in APAC?')).toEqual({
      kind: 'calls',
      calls: [
        { tool: 'search_offers', args: { region: 'asia' } },
        { tool: 'search_offers', args: { region: 'oceania' } },
      ],
    });
  });

  it('asks where to deploy in APAC rather than picking one of its regions', () => {
    const plan = planRequest('deploy a 4090 in APAC');
    expect(plan).toMatchObject({
      kind: 'clarify',
      message: expect.stringMatching(/"APAC".*Asia and Oceania/),
    });
  });

  it('asks about Latin America, which reaches into North America, rather than reading it as South America', () => {
    expect(planRequest('4090 offers in latin america')).toMatchObject({
      kind: 'clarify',
      message: expect.stringContaining('several countries'),
    });
  });

  it('reads what regions.ts calls a country, adjectives included', () => {
    expect(planRequest('cheapest 4090 in german datacenters')).toMatchObject({
      calls: [{ args: { region: 'DE' } }],
    });
    expect(parseRegion('german')).toEqual({ countries: ['DE'] });
  });

  it('covers a group with whole regions first, then single countries', () => {
    expect(coveringPlaces(parseRegion('apac')!.countries)).toEqual(['asia', 'oceania']);
    expect(coveringPlaces(parseRegion('anz')!.countries)).toEqual(['AU', 'NZ']);
  });

  it('does not read tech words written in capitals as countries', () => {
    expect(planRequest('4090 for ML and AI work')).toEqual({
      kind: 'calls',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090' } }],
    });
  });
});

describe('number words and units of time, one table each', () => {
  it('reads the same number words everywhere', () => {
    expect(numberFromWord('twenty-one')).toBe(21);
    expect(numberFromWord('twenty one')).toBe(21);
    expect(numberFromWord('a thousand')).toBe(1000);
    expect(numberFromWord('fourteen')).toBe(14);
    expect(numberFromWord('umpteen')).toBeUndefined();
    expect(planRequest('show me the eleven cheapest 3090s')).toMatchObject({
      calls: [{ args: { gpu: 'rtx-3090', order: 'price', limit: 11 } }],
    });
    expect(planRequest('keep the last eleven snapshots of i-3')).toMatchObject({
      calls: [{ tool: 'snapshot_policy', args: { instance: 'i-3', keep_last: 11 } }],
    });
  });

  it('reads units of time from one table', () => {
    expect(minutesPerUnit('hrs')).toBe(60);
    expect(secondsPerUnit('day')).toBe(86_400);
    expect(minutesPerUnit('weeks')).toBe(7 * 24 * 60);
    expect(minutesPerUnit('fortnight')).toBeUndefined();
    expect(planRequest('snapshot i-3 every 2 hrs')).toMatchObject({
      calls: [{ tool: 'snapshot_policy', args: { instance: 'i-3', every_minutes: 120 } }],
    });
  });
});
