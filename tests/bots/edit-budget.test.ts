import { describe, expect, it } from 'vitest';
import { EditBudget } from '../../src/bots/edit-budget.ts';

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
});
