import { describe, expect, it } from 'vitest';
import { type Plan, planRequest } from '../../../src/agent/planner/index.ts';

function calls(text: string) {
  const plan = planRequest(text);
  expect(plan.kind, JSON.stringify(plan)).toBe('calls');
  return (plan as Extract<Plan, { kind: 'calls' }>).calls;
}

describe('failover, auto-failover and hibernation phrasings', () => {
  it.each([
    ['failover i-3', { instance: 'i-3' }],
    ['fail over i-3', { instance: 'i-3' }],
    ['fail i-3 over', { instance: 'i-3' }],
    ['i-3 died, move it', { instance: 'i-3' }],
    ['i-3 is down, move it to another machine', { instance: 'i-3' }],
    ['migrate i-2 to a new gpu', { instance: 'i-2' }],
    ['recover i-7 please', { instance: 'i-7' }],
    ['failback i-3', { instance: 'i-3' }],
    ['fail i-3 back to a gpu', { instance: 'i-3' }],
    ['move i-3 to an H100 under $3', { instance: 'i-3', gpu: 'H100 80GB PCIe', max_price_per_gpu_hour: 3 }],
  ])('reads "%s" as a failover', (text, args) => {
    expect(calls(text)).toEqual([{ tool: 'failover', args }]);
  });

  it('fails over each instance named', () => {
    expect(calls('fail over i-3 and i-4').map((c) => c.args)).toEqual([
      { instance: 'i-3' },
      { instance: 'i-4' },
    ]);
  });

  it('passes an unknown GPU on for the tool to refuse with suggestions', () => {
    expect(calls('migrate i-2 to a 9090')).toEqual([
      { tool: 'failover', args: { instance: 'i-2', gpu: '9090' } },
    ]);
  });

  it('asks rather than guess a price for the whole machine, and moves nothing when told not to', () => {
    expect(planRequest('failover i-3 under $2/hr total').kind).toBe('clarify');
    const negated = planRequest("don't migrate i-3");
    expect(negated.kind).toBe('unknown');
    expect((negated as { message: string }).message).toContain("won't migrate");
  });

  it('does not read a bare "move i-3" as a failover', () => {
    expect(calls('move i-3').map((c) => c.tool)).not.toContain('failover');
  });

  it.each([
    ['enable auto-failover for i-3', true],
    ['turn on automatic failover on i-3', true],
    ['fail i-3 over automatically', true],
    ['auto-failover i-5', true],
    ['disable auto-failover for i-3', false],
    ['stop auto-failover for i-3', false],
  ])('reads "%s" as auto-failover %s', (text, enabled) => {
    const [call] = calls(text);
    expect(call).toMatchObject({ tool: 'auto_failover', args: { enabled } });
  });

  it.each([
    ['hibernate i-3', { tool: 'hibernate', args: { instance: 'i-3' } }],
    [
      'hibernate i-3 after 2 hours paused',
      { tool: 'hibernation_policy', args: { instance: 'i-3', after_minutes: 120 } },
    ],
    [
      'hibernate i-3 when it has been paused for 90 minutes',
      { tool: 'hibernation_policy', args: { instance: 'i-3', after_minutes: 90 } },
    ],
    ['stop hibernating i-3', { tool: 'hibernation_policy', args: { instance: 'i-3', after_minutes: null } }],
    ['never hibernate i-3', { tool: 'hibernation_policy', args: { instance: 'i-3', after_minutes: null } }],
    ['wake i-3', { tool: 'resume', args: { instance: 'i-3' } }],
    ['wake up i-3', { tool: 'resume', args: { instance: 'i-3' } }],
  ])('reads "%s"', (text, call) => {
    expect(calls(text)).toEqual([call]);
  });

  it.each([
    ['restore snap-2 on a 4090', { snapshot: 'snap-2', gpu: 'rtx-4090' }],
    ['restore snap-2 onto a new instance', { snapshot: 'snap-2' }],
    ['bring back snap-2 on a new A100 80GB', { snapshot: 'snap-2', gpu: 'a100-80gb' }],
  ])('reads "%s" as a restore onto a new instance', (text, args) => {
    expect(calls(text)).toEqual([{ tool: 'restore_to_new_instance', args }]);
  });

  it.each(['hibernate i-3 after 0 minutes', 'hibernate i-3 after -2 hours', 'hibernate i-3 after 200 days'])(
    'asks about "%s" rather than hibernate now',
    (text) => {
      expect(planRequest(text).kind).toBe('clarify');
    },
  );
});
