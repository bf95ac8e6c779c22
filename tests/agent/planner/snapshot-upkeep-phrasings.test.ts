import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';
import { selectTools } from '../../../src/agent/tool-selection.ts';

describe('phrasings for describing, deleting, keeping and scheduling snapshots', () => {
  it.each([
    ['describe snap-3', { tool: 'describe_snapshot', args: { snapshot: 'snap-3' } }],
    ['show snap-3', { tool: 'describe_snapshot', args: { snapshot: 'snap-3' } }],
    ["what's in snap-12?", { tool: 'describe_snapshot', args: { snapshot: 'snap-12' } }],
    ['details of snapshot snap-4', { tool: 'describe_snapshot', args: { snapshot: 'snap-4' } }],
    ['delete snap-3', { tool: 'delete_snapshot', args: { snapshot: 'snap-3' } }],
    ['please remove the snapshot snap-7', { tool: 'delete_snapshot', args: { snapshot: 'snap-7' } }],
    ['snapshot i-3 every hour', { tool: 'snapshot_policy', args: { instance: 'i-3', every_minutes: 60 } }],
    [
      'snapshot i-3 every 30 minutes',
      { tool: 'snapshot_policy', args: { instance: 'i-3', every_minutes: 30 } },
    ],
    [
      'back up i-6 every two hours',
      { tool: 'snapshot_policy', args: { instance: 'i-6', every_minutes: 120 } },
    ],
    ['snapshot i-3 hourly', { tool: 'snapshot_policy', args: { instance: 'i-3', every_minutes: 60 } }],
    [
      'schedule daily backups of i-4',
      { tool: 'snapshot_policy', args: { instance: 'i-4', every_minutes: 1440 } },
    ],
    [
      'snapshot i-3 every hour and keep the last 5',
      { tool: 'snapshot_policy', args: { instance: 'i-3', every_minutes: 60, keep_last: 5 } },
    ],
    ['stop snapshotting i-3', { tool: 'snapshot_policy', args: { instance: 'i-3', stop_schedule: true } }],
    [
      'cancel the snapshot schedule of i-3',
      { tool: 'snapshot_policy', args: { instance: 'i-3', stop_schedule: true } },
    ],
    [
      'keep the last 5 snapshots of i-3',
      { tool: 'snapshot_policy', args: { instance: 'i-3', keep_last: 5 } },
    ],
    ['keep all snapshots of i-3', { tool: 'snapshot_policy', args: { instance: 'i-3', keep_last: 0 } }],
    ['snapshot schedule of i-3', { tool: 'snapshot_policy', args: { instance: 'i-3' } }],
  ])('reads "%s"', (text, call) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [call] });
  });

  it.each(['every 0 minutes', 'every 1 minute'])('refuses a schedule of "%s", saying what works', (every) => {
    const plan = planRequest(`snapshot i-3 ${every}`);
    expect(plan.kind).toBe('clarify');
    expect(plan.kind === 'clarify' && plan.message).toMatch(/5 minutes apart.*snapshot i-3 every hour/);
  });

  it('refuses a schedule rarer than once a week', () => {
    expect(planRequest('snapshot i-3 every 30 days')).toMatchObject({
      kind: 'clarify',
      message: expect.stringContaining('at least once a week'),
    });
  });

  it('leaves "stop i-3" and "delete i-3" to pause and destroy', () => {
    expect(planRequest('stop i-3')).toMatchObject({ calls: [{ tool: 'pause' }] });
    expect(planRequest('delete i-3')).toMatchObject({ calls: [{ tool: 'destroy' }] });
  });

  it('offers a model the snapshot upkeep tools for snapshot talk the planner cannot place', () => {
    const names = selectTools('how long do we keep snapshots around?').map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['delete_snapshot', 'describe_snapshot', 'snapshot_policy']),
    );
  });
});
