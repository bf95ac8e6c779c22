import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EditBudget } from '../../src/bots/edit-budget.ts';
import { ProgressRelay } from '../../src/bots/progress-relay.ts';
import { renderProgress } from '../../src/bots/render.ts';
import { type ProgressView, stepProgress } from '../../src/jobs/queue/progress.ts';

const base = { operationId: 'op-test', kind: 'deploy' as const, startedAt: Date.now() };

function view(step: number, detail?: string): ProgressView {
  return stepProgress(base, step, detail);
}

describe('progress relay', () => {
  it('coalesces a burst of updates into edits at most once per interval, ending with the final state', async () => {
    const edits: { at: number; view: ProgressView }[] = [];
    const relay = new ProgressRelay(async (v) => {
      edits.push({ at: Date.now(), view: v });
    }, 150);
    for (let i = 0; i < 40; i++) {
      relay.progress(view(i % 4, `tick ${i}`));
      await sleep(10);
    }
    const final: ProgressView = { ...view(3), state: 'succeeded', pct: 100 };
    await relay.final(final);
    relay.progress(view(1, 'late'));
    await sleep(200);

    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThan(10);
    for (let i = 1; i < edits.length; i++) {
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(145);
    }
    expect(edits.at(-1)!.view.state).toBe('succeeded');
    expect(edits.some((e) => e.view.detail === 'late')).toBe(false);
  });

  it('delivers the final state even when the previous edit just happened', async () => {
    const edits: ProgressView[] = [];
    const relay = new ProgressRelay(async (v) => {
      edits.push(v);
    }, 1_000);
    relay.progress(view(0));
    relay.progress(view(1));
    const started = Date.now();
    await relay.final({ ...view(3), state: 'failed', error: { code: 'host_failed', message: 'host died' } });
    expect(edits.map((e) => e.state)).toEqual(['running', 'failed']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('tries a final edit the platform refused again, after a pause, and ends in the final state', async () => {
    const tries: { at: number; state: string; ok: boolean }[] = [];
    let refuse = 1;
    const errors: unknown[] = [];
    const relay = new ProgressRelay(
      async (v) => {
        const ok = !(v.state === 'succeeded' && refuse-- > 0);
        tries.push({ at: Date.now(), state: v.state, ok });
        if (!ok) throw new Error('chat.update failed: internal_error');
      },
      0,
      (err) => errors.push(err),
      { tries: 3, firstDelayMs: 80, maxDelayMs: 1_000 },
    );
    relay.progress(view(1));
    const delivered = await relay.final({ ...view(3), state: 'succeeded', pct: 100 });

    expect(delivered).toBe(true);
    expect(tries.map((t) => [t.state, t.ok])).toEqual([
      ['running', true],
      ['succeeded', false],
      ['succeeded', true],
    ]);
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(75);
    expect(errors).toHaveLength(1);
  });

  it('says a final edit the platform keeps refusing was not delivered, after tries that back off', async () => {
    const at: number[] = [];
    const relay = new ProgressRelay(
      async () => {
        at.push(Date.now());
        throw new Error('chat.update failed: service_unavailable');
      },
      0,
      () => {},
      { tries: 3, firstDelayMs: 40, maxDelayMs: 100 },
    );
    const delivered = await relay.final({ ...view(3), state: 'failed', error: { code: 'x', message: 'y' } });

    expect(delivered).toBe(false);
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // 40, 80, then capped at 100 (timers may fire a millisecond early).
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(98);
    expect(gaps[2]).toBeLessThan(180);
  });

  it('tries a process’s parting edit once when told not to retry', async () => {
    let calls = 0;
    const relay = new ProgressRelay(
      async () => {
        calls++;
        throw new Error('refused');
      },
      0,
      () => {},
      { tries: 3, firstDelayMs: 10, maxDelayMs: 10 },
    );
    expect(await relay.final(view(2), { retry: false })).toBe(false);
    expect(calls).toBe(1);
  });

  it('sends a final state that arrived while its edit waited for the budget in that same edit', async () => {
    // One edit per 300 ms for the workspace, and another message's edit holds the turn now.
    const budget = new EditBudget({ limit: 1, intervalMs: 300 });
    const shown: { message: string; state: string }[] = [];
    void budget.spend('T1', async () => {
      shown.push({ message: 'other', state: 'running' });
    });
    const relay = new ProgressRelay(
      (_view, newest) =>
        budget.spend('T1', async () => {
          shown.push({ message: 'this', state: newest().state });
        }),
      0,
    );
    const started = Date.now();
    relay.progress(view(1));
    await sleep(50);
    const delivered = await relay.final({ ...view(3), state: 'succeeded', pct: 100 });

    expect(delivered).toBe(true);
    expect(shown).toEqual([
      { message: 'other', state: 'running' },
      { message: 'this', state: 'succeeded' },
    ]);
    expect(budget.sent).toBe(2);
    // One turn of the budget, not two.
    expect(Date.now() - started).toBeLessThan(550);
  });

  it('still ends in the final state when the sender ignores the newest view', async () => {
    const budget = new EditBudget({ limit: 1, intervalMs: 200 });
    const shown: string[] = [];
    const relay = new ProgressRelay((v) => budget.spend('T1', async () => void shown.push(v.state)), 0);
    relay.progress(view(1));
    await sleep(20);
    expect(await relay.final({ ...view(3), state: 'succeeded', pct: 100 })).toBe(true);
    expect(shown).toEqual(['running', 'succeeded']);
  });

  it('renders step, bar, percentage and elapsed time, and a final line with the result', () => {
    const running = renderProgress({ ...view(1, 'offer 42'), instance: 'i-3' }, base.startedAt + 65_000);
    expect(running).toContain('deploy i-3');
    expect(running).toContain('Renting the machine (2/4)');
    expect(running).toMatch(/[█░]{20} 25%/);
    expect(running).toContain('1:05');
    const done = renderProgress(
      {
        ...view(3),
        state: 'succeeded',
        pct: 100,
        elapsedMs: 12_000,
        result: { instance: 'i-3', summary: 'i-3 running · 1x RTX 4090 · $0.380/hr' },
      },
      0,
    );
    expect(done).toBe('✅ deploy done in 0:12 · i-3 running · 1x RTX 4090 · $0.380/hr');
  });
});
