import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';
import { selectTools } from '../../../src/agent/tool-selection.ts';

function calls(text: string) {
  const plan = planRequest(text);
  if (plan.kind !== 'calls') throw new Error(`expected calls for "${text}", got ${JSON.stringify(plan)}`);
  return plan.calls;
}

describe('CPU standby phrasings', () => {
  it.each([
    ['enable standby for i-3', { instance: 'i-3', enabled: true }],
    ['standby i-3 on a cpu vm', { instance: 'i-3', enabled: true }],
    ['please set up a CPU standby for instance i-14', { instance: 'i-14', enabled: true }],
    ['turn standby on for i-2 please', { instance: 'i-2', enabled: true }],
    ["enable i-5's standby on gcp", { instance: 'i-5', enabled: true }],
    [
      'give i-3 a spot standby on an e2-standard-8',
      { instance: 'i-3', enabled: true, machine_type: 'e2-standard-8', spot: true },
    ],
    ['enable standby for i-3 on demand', { instance: 'i-3', enabled: true, spot: false }],
    ['turn off standby for i-3', { instance: 'i-3', enabled: false }],
    ['disable the standby of i-3 now', { instance: 'i-3', enabled: false }],
    ["delete i-3's standby vm", { instance: 'i-3', enabled: false }],
    ['no more standby for i-5', { instance: 'i-5', enabled: false }],
  ])('reads "%s"', (text, args) => {
    expect(calls(text)).toEqual([{ tool: 'standby', args }]);
  });

  it('asks rather than guesses when the words after the instance are not a standby option', () => {
    for (const text of [
      'standby i-3 on a banana',
      'turn off standby for i-3 on an e2-standard-8',
      'what about a standby?',
    ]) {
      const plan = planRequest(text);
      expect(plan.kind).toBe('clarify');
      expect(plan.kind === 'clarify' && plan.message).toContain('enable standby for i-3');
    }
  });

  it('leaves snapshots, failover and everyday requests to their own readers', () => {
    expect(calls('snapshot i-3')[0]!.tool).toBe('snapshot');
    expect(calls('pause i-3')[0]!.tool).toBe('pause');
    expect(calls('fail over i-3')[0]!.tool).toBe('failover');
  });

  it('offers the model the standby tool for standby requests it cannot place', () => {
    expect(selectTools('is a standby worth it for i-3, do you think?').map((t) => t.name)).toContain(
      'standby',
    );
    expect(selectTools('enable standby for i-3').map((t) => t.name)).toEqual(
      expect.arrayContaining(['standby', 'snapshot']),
    );
  });
});
