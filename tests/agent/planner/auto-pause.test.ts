import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';

const calls = (text: string) => {
  const plan = planRequest(text);
  return plan.kind === 'calls' ? plan.calls : plan;
};

describe('auto-pause phrasings', () => {
  it.each([
    [
      'pause i-3 when idle for 15 minutes',
      { tool: 'auto_pause', args: { instance: 'i-3', idle_minutes: 15 } },
    ],
    [
      'auto-pause i-4 after 20 minutes idle',
      { tool: 'auto_pause', args: { instance: 'i-4', idle_minutes: 20 } },
    ],
    [
      'pause i-3 if it is idle for an hour',
      { tool: 'auto_pause', args: { instance: 'i-3', idle_minutes: 60 } },
    ],
    [
      'pause i-3 when idle for 1.5 hours',
      { tool: 'auto_pause', args: { instance: 'i-3', idle_minutes: 90 } },
    ],
    [
      'auto-pause i-3 when gpu use is under 10% for 30 minutes',
      { tool: 'auto_pause', args: { instance: 'i-3', idle_minutes: 30, min_utilization: 10 } },
    ],
    [
      'auto-pause idle instances in this channel after 30 minutes',
      { tool: 'auto_pause', args: { channel_default: true, idle_minutes: 30 } },
    ],
    ['auto-pause i-3 again', { tool: 'auto_pause', args: { instance: 'i-3' } }],
    ['stop auto-pausing i-3', { tool: 'stop_auto_pause', args: { instance: 'i-3' } }],
    ['turn off auto-pause for i-5', { tool: 'stop_auto_pause', args: { instance: 'i-5' } }],
    [
      'stop auto-pausing instances in this channel',
      { tool: 'stop_auto_pause', args: { channel_default: true } },
    ],
    ['keep i-3 running', { tool: 'keep_running', args: { instance: 'i-3' } }],
    ["don't pause i-3", { tool: 'keep_running', args: { instance: 'i-3' } }],
    ['keep i-3 running for 3 hours', { tool: 'keep_running', args: { instance: 'i-3', minutes: 180 } }],
    [
      'keep i-3 running until I say otherwise',
      { tool: 'keep_running', args: { instance: 'i-3', until_further_notice: true } },
    ],
    ['how much did auto-pause save this week?', { tool: 'idle_savings', args: { period: 'week' } }],
    ['how much did auto-pause save today', { tool: 'idle_savings', args: { period: 'today' } }],
    ['how much has auto-pause saved this month?', { tool: 'idle_savings', args: { period: 'month' } }],
  ])('reads "%s"', (text, call) => {
    expect(calls(text)).toEqual([call]);
  });

  it.each([
    ['auto-pause i-4 after 0 minutes', /at least 1 minute/],
    ['auto-pause i-4 after -5 minutes', /negative/],
    ['pause i-3 when idle for 2.5 minutes', /whole number of minutes/],
    ['pause i-3 when idle for 3 weeks', /./],
    ['pause i-3 when idle', /After how long idle/],
    ['pause i-3 when idle for a while', /After how long idle/],
    ['auto-pause after 20 minutes', /which instance/],
    ['auto-pause i-3 when idle under 0% for 20 minutes', /whole percentage/],
    ['what did auto-pause save last week', /today, this week, this month/],
  ])('asks rather than guess, and never pauses now, for "%s"', (text, message) => {
    const plan = planRequest(text);
    expect(plan.kind).not.toBe('calls');
    expect('message' in plan ? plan.message : '').toMatch(message);
  });

  it('still reads a plain "pause i-3" as a pause', () => {
    expect(calls('pause i-3')).toEqual([{ tool: 'pause', args: { instance: 'i-3' } }]);
  });
});

describe('what auto-pause saved, read by the scoring', () => {
  it.each([
    ['how much money did idle pausing save us in total', 'all'],
    ['savings from auto-pause today?', 'today'],
  ])('reads "%s" as the savings of %s', (text, period) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [{ tool: 'idle_savings', args: { period } }] });
  });
});
