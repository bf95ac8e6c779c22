import { describe, expect, it } from 'vitest';
import { PHRASINGS } from '../../../src/agent/eval/phrasings.ts';
import { runEval } from '../../../src/agent/eval/run-eval.ts';
import { OfflineModel } from '../../../src/agent/offline-model.ts';

describe('gpuops eval on the offline planner', () => {
  it('scores the offline planner 100% on the default set', async () => {
    const report = await runEval(new OfflineModel(), PHRASINGS);
    expect(report).toMatchObject({
      model: 'offline-planner',
      phrasings: PHRASINGS.length,
      right_tool: PHRASINGS.length,
      right_args: PHRASINGS.length,
      right_args_pct: 100,
      round_trips: { mean: 1, max: 1, corrected: 0 },
      tokens: { reported: false, input_mean: 0, output_mean: 0 },
      errors: 0,
      failures: [],
    });
    // Every tool of the default set has a row, and the rows add up to at least every phrasing.
    expect(report.per_tool.map((row) => row.tool).sort()).toEqual(
      [...new Set(PHRASINGS.flatMap((p) => p.calls.map((c) => c.tool)))].sort(),
    );
    expect(report.per_tool.every((row) => row.right_args_pct === 100)).toBe(true);
  });

  it('lists a phrasing the planner gets wrong with what was expected and what came back', async () => {
    const report = await runEval(new OfflineModel(), [
      { text: 'pause i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
      {
        text: 'cheapest 4090',
        calls: [{ tool: 'search_offers', args: { gpu: 'RTX 3090', order: 'price' } }],
      },
      { text: 'hello there', calls: [] },
      { text: 'qwertyuiop', calls: [{ tool: 'list_instances', args: {} }] },
    ]);
    expect(report.per_tool).toEqual([
      expect.objectContaining({ tool: 'search_offers', cases: 1, right_tool: 1, right_args: 0 }),
      expect.objectContaining({ tool: 'list_instances', cases: 1, right_tool: 0, right_args: 0 }),
      expect.objectContaining({ tool: 'destroy', cases: 1, right_tool: 0, right_args: 0 }),
      expect.objectContaining({ tool: '(none)', cases: 1, right_tool: 1, right_args: 1 }),
    ]);
    expect(report.failures.map((f) => f.text)).toEqual(['pause i-3', 'cheapest 4090', 'qwertyuiop']);
    expect(report.failures[0]).toMatchObject({
      expected: [{ tool: 'destroy', args: { instance: 'i-3' } }],
      got: [{ tool: 'pause', args: { instance: 'i-3' } }],
    });
    expect(report.failures[2]!.reply).toMatch(/^Sorry, I didn't understand/);
  });

  it('refuses a set whose expected calls its schemas refuse', async () => {
    await expect(
      runEval(new OfflineModel(), [
        { text: 'pause i-3', calls: [{ tool: 'pause', args: { instance: '3' } }] },
      ]),
    ).rejects.toMatchObject({ code: 'bad_input' });
  });
});
