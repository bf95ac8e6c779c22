import { describe, expect, it } from 'vitest';
import { EditBudget, type EditBudgetClock } from '../../src/bots/edit-budget.ts';

/** A clock that moves only when told: sleepers wake in time order as it passes their time. */
class FakeClock implements EditBudgetClock {
  private t = 0;
  private sleepers: Array<{ at: number; wake: () => void }> = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.t + ms, wake });
    });
  }

  /** Moves `ms` ahead, waking each sleeper at its time and letting what it started run. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle();
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > until) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.wake();
      await settle();
    }
    this.t = until;
    await settle();
  }
}

/** Lets every promise callback already due run (setImmediate comes after the microtask queue). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Edit {
  start: number;
  end: number;
}

/**
 * The most edits the platform can have counted in one `intervalMs` window: each edit reaches it
 * at some moment between its start and its end, so a window [w, w + intervalMs) can hold every
 * edit that is under way at some point inside it. The worst window starts at an edit's end, or
 * just before an edit's start leaves it.
 */
function worstWindow(edits: Edit[], intervalMs: number): number {
  const candidates = edits.flatMap((e) => [e.end, e.start, e.start - intervalMs + 1]);
  let most = 0;
  for (const w of candidates) {
    const within = edits.filter((e) => e.end >= w && e.start < w + intervalMs).length;
    most = Math.max(most, within);
  }
  return most;
}

describe('the edit budget', () => {
  it('never lets more edits than the limit start in any interval for one workspace, and keeps workspaces apart', async () => {
    const budget = new EditBudget({ limit: 4, intervalMs: 300 });
    const starts: Record<string, number[]> = { a: [], b: [] };
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => {
        const key = i % 2 === 0 ? 'a' : 'b';
        return budget.spend(key, async () => {
          starts[key]!.push(performance.now());
        });
      }),
    );
    for (const key of ['a', 'b']) {
      const times = starts[key]!;
      expect(times).toHaveLength(12);
      for (const [i, at] of times.entries()) {
        // Measured at the start of each edit: at most `limit` in the interval that follows it.
        expect(times.slice(i).filter((t) => t - at < 295).length).toBeLessThanOrEqual(4);
      }
    }
    // Two workspaces share nothing: b's edits did not wait behind a's.
    expect(Math.abs(starts.a![0]! - starts.b![0]!)).toBeLessThan(50);
    expect(budget.sent).toBe(24);
  });

  it('holds 36 edits a minute over every sliding 60 s window, however long each edit takes to reach Slack', async () => {
    const clock = new FakeClock();
    const budget = new EditBudget({ limit: 36, intervalMs: 60_000 }, clock);
    const edits: Edit[] = [];
    // Edits that take from 5 ms to 9 s (a slow network, a 429 waited out inside the call): the
    // slow ones are where a count kept from starts alone lets the platform see more than 36.
    const durations = Array.from({ length: 200 }, (_, i) => [5, 40, 9_000, 250, 3_000, 5][i % 6]!);
    const done = Promise.all(
      durations.map((ms, i) =>
        // Asked for in bursts, as progress from 20 operations arrives.
        clock.sleep(Math.floor(i / 20) * 7_000).then(() =>
          budget.spend('T0TEAM', async () => {
            const start = clock.now();
            await clock.sleep(ms);
            edits.push({ start, end: clock.now() });
          }),
        ),
      ),
    );
    for (let t = 0; t < 20 * 60_000 && edits.length < durations.length; t += 250) await clock.advance(250);
    await done;
    expect(edits).toHaveLength(200);
    expect(worstWindow(edits, 60_000)).toBeLessThanOrEqual(36);
    // And by start times alone, every window of the bench's count holds at most 36 too.
    const starts = edits.map((e) => e.start).sort((a, b) => a - b);
    for (const [i, at] of starts.entries()) {
      expect(starts.slice(i).filter((t) => t - at < 60_000).length).toBeLessThanOrEqual(36);
    }
  });

  it('spends the whole budget at once and the 37th edit waits exactly until the first has been out 60 s', async () => {
    const clock = new FakeClock();
    const budget = new EditBudget({ limit: 36, intervalMs: 60_000 }, clock);
    const starts: number[] = [];
    const all = Array.from({ length: 40 }, () =>
      budget.spend('T0TEAM', async () => {
        starts.push(clock.now());
      }),
    );
    await clock.advance(0);
    expect(starts).toHaveLength(36);
    expect(new Set(starts)).toEqual(new Set([0]));
    await clock.advance(59_999);
    expect(starts).toHaveLength(36);
    await clock.advance(1);
    await Promise.all(all);
    expect(starts.slice(36)).toEqual([60_000, 60_000, 60_000, 60_000]);
  });

  it('keeps the order edits were asked in, and a failed edit counts but does not stop the ones behind it', async () => {
    const clock = new FakeClock();
    const budget = new EditBudget({ limit: 2, intervalMs: 1_000 }, clock);
    const order: number[] = [];
    const results = Array.from({ length: 6 }, (_, i) =>
      budget.spend('C1', async () => {
        order.push(i);
        if (i === 1) throw new Error('message_not_found');
        return i;
      }),
    );
    const all = Promise.allSettled(results);
    for (let t = 0; t < 4; t++) await clock.advance(1_000);
    const settled = await all;
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'message_not_found' } });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
    expect(budget.sent).toBe(6);
  });
});
