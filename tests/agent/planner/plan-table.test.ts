import { describe, expect, it } from 'vitest';
import { PHRASINGS } from '../../../src/agent/eval/phrasings.ts';
import { planRequest } from '../../../src/agent/planner/index.ts';
import { type PlannedCall, TOOL_SCHEMAS } from '../../../src/tools/schemas.ts';

/** Everyday phrasings and the exact calls they must become (the default set of `gpuops eval`). */
const TABLE: ReadonlyArray<readonly [string, PlannedCall[]]> = PHRASINGS.map((p) => [p.text, p.calls]);

describe('offline planner phrasings', () => {
  it('covers at least 80 phrasings', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(80);
  });

  it.each(TABLE)('turns "%s" into the expected tool calls', (text, expected) => {
    const plan = planRequest(text);
    expect(plan).toEqual({ kind: 'calls', calls: expected });
  });

  it.each(TABLE)('gives "%s" arguments that its tool schema accepts', (text) => {
    const plan = planRequest(text);
    if (plan.kind !== 'calls') throw new Error(`expected calls for "${text}", got ${plan.kind}`);
    for (const call of plan.calls) {
      const parsed = TOOL_SCHEMAS[call.tool].safeParse(call.args);
      expect(parsed.success, `${call.tool} ${JSON.stringify(call.args)}`).toBe(true);
    }
  });

  it('reads text the same whatever its case and trailing punctuation', () => {
    const reference = planRequest('deploy two 4090s under $0.45/hr with pytorch');
    for (const variant of [
      'DEPLOY TWO 4090S UNDER $0.45/HR WITH PYTORCH',
      'Deploy two 4090s under $0.45/hr with PyTorch!!!',
      '  deploy   two 4090s, under $0.45/hr, with pytorch.  ',
      '*deploy* two 4090s under $0.45/hr with `pytorch`',
    ]) {
      expect(planRequest(variant)).toEqual(reference);
    }
  });
});
