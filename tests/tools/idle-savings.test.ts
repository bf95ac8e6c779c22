import { describe, expect, it } from 'vitest';
import type { AutoPause } from '../../db/repositories/auto-pauses.ts';
import { parseGpuUtilization } from '../../src/cloud/ssh/gpu-utilization.ts';
import { periodStart, savingsBetween } from '../../src/tools/idle-savings.ts';

const h = (iso: string) => new Date(iso);
const pause = (pausedAt: string, endedAt: string | null, pricePerHour: number): AutoPause => ({
  operationId: `op-idle-${pausedAt}`,
  instance: 'i-3',
  channel: 'team-ml',
  pricePerHour,
  diskPerHour: 0,
  pausedAt: h(pausedAt),
  endedAt: endedAt === null ? null : h(endedAt),
  endedBy: endedAt === null ? null : 'resume',
});

describe('what auto-pause saved', () => {
  it('is each pause price per hour times its paused hours inside the period, up to now for one still paused', () => {
    const now = h('2026-03-04T12:00:00Z');
    const from = periodStart('week', now);
    const savings = savingsBetween(
      [
        // Paused before the week began: only Monday 00:00 to 06:00 counts, 6 h at $0.50.
        pause('2026-03-01T20:00:00Z', '2026-03-02T06:00:00Z', 0.5),
        // 2 h 30 min at $1.20.
        pause('2026-03-03T09:00:00Z', '2026-03-03T11:30:00Z', 1.2),
        // Still paused: 4 h up to now at $2.00.
        pause('2026-03-04T08:00:00Z', null, 2),
        // Ended before the week: nothing.
        pause('2026-02-27T08:00:00Z', '2026-02-28T08:00:00Z', 9),
      ],
      from,
      now,
    );
    expect(savings.totalUsd).toBeCloseTo(6 * 0.5 + 2.5 * 1.2 + 4 * 2, 9);
    expect(savings.pausedMs).toBe((6 + 2.5 + 4) * 3_600_000);
    expect(savings.pauses.map((p) => p.usd)).toEqual([3, 3, 8]);
  });

  it("counts a pause's price less its disk, which bills while paused", () => {
    const now = h('2026-03-04T12:00:00Z');
    const paused = { ...pause('2026-03-04T08:00:00Z', null, 1.0), diskPerHour: 0.25 };
    const savings = savingsBetween([paused], periodStart('today', now), now);
    expect(savings.totalUsd).toBeCloseTo(4 * 0.75, 9);
    // A disk priced over the machine (a bad listing) saves nothing rather than costing.
    const odd = { ...pause('2026-03-04T08:00:00Z', null, 0.1), diskPerHour: 0.3 };
    expect(savingsBetween([odd], periodStart('today', now), now).totalUsd).toBe(0);
  });

  it('starts today at midnight, the week on Monday and the month on the 1st, in UTC', () => {
    const wednesday = h('2026-03-04T12:34:56Z');
    expect(periodStart('today', wednesday).toISOString()).toBe('2026-03-04T00:00:00.000Z');
    expect(periodStart('week', wednesday).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(periodStart('week', h('2026-03-08T23:59:00Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(periodStart('week', h('2026-03-09T00:00:00Z')).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(periodStart('month', wednesday).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(periodStart('all', wednesday).getTime()).toBe(0);
  });
});

describe('reading nvidia-smi utilisation', () => {
  it('reads one percentage per GPU', () => {
    expect(parseGpuUtilization('0, 0\n1, 87\n')).toEqual([0, 87]);
  });

  it('refuses an answer it cannot read exactly, so an unknown is never taken for idle', () => {
    expect(() => parseGpuUtilization('')).toThrow(/no GPUs/);
    expect(() => parseGpuUtilization('0, [N/A]\n')).toThrow(/not a GPU's utilisation/);
    expect(() => parseGpuUtilization('0, 250\n')).toThrow(/not a GPU's utilisation/);
  });
});
