import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProgressRelay } from '../../src/bots/progress-relay.ts';
import { renderProgress } from '../../src/bots/render.ts';
import { type ProgressView, stepProgress } from '../../src/jobs/progress.ts';

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
