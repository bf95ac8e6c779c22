import { describe, expect, it } from 'vitest';
import {
  autoPauseOperationId,
  type EpisodeState,
  type IdleStep,
  nextIdleStep,
} from '../../../src/jobs/upkeep/idle-episode.ts';

const MIN = 60_000;
const rule = { idleMinutes: 15, minUtilization: 5 };
const timing = { graceMs: 5 * MIN, maxSampleGapMs: 3 * MIN };
const t0 = new Date('2026-03-02T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);
const none: EpisodeState = { idleSince: null, lastSampleAt: null, warnedAt: null, pauseDueAt: null };

/** Feeds samples one a minute (or at the given minutes) through the rule, as the idle check keeps its row. */
function run(
  samples: Array<[minute: number, utilization: number[]]>,
  runningSince: Date | null = null,
): IdleStep[] {
  let state = none;
  const steps: IdleStep[] = [];
  for (const [minute, utilization] of samples) {
    const step = nextIdleStep(state, { at: at(minute), utilization }, rule, timing, runningSince);
    steps.push(step);
    switch (step.kind) {
      case 'busy':
        state = { ...none, lastSampleAt: at(minute) };
        break;
      case 'idle':
        state = step.fresh
          ? { ...none, idleSince: step.idleSince, lastSampleAt: at(minute) }
          : { ...state, idleSince: step.idleSince, lastSampleAt: at(minute) };
        break;
      case 'warn':
        state = { ...state, lastSampleAt: at(minute), warnedAt: at(minute), pauseDueAt: step.pauseDueAt };
        break;
      case 'pause':
        state = { ...state, lastSampleAt: at(minute) };
        break;
    }
  }
  return steps;
}

const everyMinute = (from: number, to: number, utilization: number[]) =>
  Array.from({ length: to - from + 1 }, (_, i) => [from + i, utilization] as [number, number[]]);

describe('the idle rule', () => {
  it('warns once the GPUs have been under the threshold for the whole window, then pauses after the grace', () => {
    const steps = run(everyMinute(0, 20, [0, 3]));
    const kinds = steps.map((s) => s.kind);
    expect(kinds.slice(0, 15)).toEqual(Array(15).fill('idle'));
    expect(steps[15]).toEqual({ kind: 'warn', idleSince: at(0), pauseDueAt: at(20), utilization: 3 });
    expect(kinds.slice(16, 20)).toEqual(['idle', 'idle', 'idle', 'idle']);
    expect(steps[20]).toEqual({ kind: 'pause', idleSince: at(0), utilization: 3 });
  });

  it('never pauses an instance whose GPUs are in use', () => {
    const steps = run(everyMinute(0, 60, [0, 90]));
    expect(new Set(steps.map((s) => s.kind))).toEqual(new Set(['busy']));
  });

  it('counts utilisation at the threshold as use, and just under it as idle', () => {
    expect(nextIdleStep(none, { at: t0, utilization: [5] }, rule, timing).kind).toBe('busy');
    expect(nextIdleStep(none, { at: t0, utilization: [4.9] }, rule, timing).kind).toBe('idle');
  });

  it('starts the episode over when work comes back, calling off a warning already given', () => {
    const steps = run([...everyMinute(0, 17, [0]), [18, [60]], ...everyMinute(19, 39, [0])]);
    expect(steps[15]?.kind).toBe('warn');
    expect(steps[18]).toEqual({ kind: 'busy', utilization: 60, wasWarned: true });
    // The new episode needs its own whole window: warned again at minute 19 + 15, paused 5 later.
    const warns = steps.map((s, i) => (s.kind === 'warn' ? i : -1)).filter((i) => i >= 0);
    expect(warns).toEqual([15, 34]);
    expect(steps.findIndex((s) => s.kind === 'pause')).toBe(39);
  });

  it('does not join samples across a gap nobody watched', () => {
    const steps = run([...everyMinute(0, 10, [0]), ...everyMinute(14, 20, [0])]);
    expect(steps[11]).toEqual({ kind: 'idle', idleSince: at(14), fresh: true, utilization: 0 });
    expect(steps.some((s) => s.kind === 'warn')).toBe(false);
  });

  it('ends an episode from before the instance was last started', () => {
    const state: EpisodeState = { idleSince: at(0), lastSampleAt: at(19), warnedAt: null, pauseDueAt: null };
    const step = nextIdleStep(state, { at: at(20), utilization: [0] }, rule, timing, at(19.5));
    expect(step).toEqual({ kind: 'idle', idleSince: at(20), fresh: true, utilization: 0 });
  });

  it('judges a machine by its busiest GPU', () => {
    expect(nextIdleStep(none, { at: t0, utilization: [0, 0, 0, 40] }, rule, timing).kind).toBe('busy');
  });

  it('names one pause operation per episode, the same on every try', () => {
    expect(autoPauseOperationId(3, at(0))).toBe(autoPauseOperationId(3, new Date(at(0).getTime())));
    expect(autoPauseOperationId(3, at(0))).not.toBe(autoPauseOperationId(3, at(1)));
    expect(autoPauseOperationId(3, at(0))).toMatch(/^op-idle-3-[0-9a-z]+$/);
  });
});
