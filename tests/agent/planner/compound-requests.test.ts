import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';
import type { PlannedCall } from '../../../src/tools/schemas.ts';

const call = (tool: PlannedCall['tool'], args: Record<string, unknown>): PlannedCall => ({ tool, args });

describe('a message with several requests for different tools', () => {
  it.each([
    [
      'pause i-3 and snapshot i-4',
      [call('pause', { instance: 'i-3' }), call('snapshot', { instance: 'i-4' })],
    ],
    [
      'snapshot i-3 and pause i-4',
      [call('snapshot', { instance: 'i-3' }), call('pause', { instance: 'i-4' })],
    ],
    [
      'back up i-3 then destroy it',
      [call('snapshot', { instance: 'i-3' }), call('destroy', { instance: 'i-3' })],
    ],
    [
      'hibernate i-3 and resume i-4',
      [call('hibernate', { instance: 'i-3' }), call('resume', { instance: 'i-4' })],
    ],
    [
      'pause i-3 and hibernate i-5',
      [call('pause', { instance: 'i-3' }), call('hibernate', { instance: 'i-5' })],
    ],
    [
      'fail over i-3 and destroy i-4',
      [call('failover', { instance: 'i-3' }), call('destroy', { instance: 'i-4' })],
    ],
    ['show me my snapshots and list my instances', [call('list_snapshots', {}), call('list_instances', {})]],
    [
      'pause i-3 and auto-pause i-4 after 20 minutes idle',
      [call('pause', { instance: 'i-3' }), call('auto_pause', { instance: 'i-4', idle_minutes: 20 })],
    ],
    [
      'restore snap-3 onto i-9 and then resume it',
      [call('restore', { snapshot: 'snap-3', instance: 'i-9' }), call('resume', { instance: 'i-9' })],
    ],
  ])('reads "%s" as each of its requests, in order', (text, calls) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls });
  });

  it.each([
    [
      'pause i-3 then snapshot it',
      [call('pause', { instance: 'i-3' }), call('snapshot', { instance: 'i-3' })],
    ],
    [
      'stop i-3 and hibernate it',
      [call('pause', { instance: 'i-3' }), call('hibernate', { instance: 'i-3' })],
    ],
    [
      'pause i-3 then restore snap-2 onto it',
      [call('pause', { instance: 'i-3' }), call('restore', { snapshot: 'snap-2', instance: 'i-3' })],
    ],
    [
      'pause i-3 and i-4 then back them up',
      [
        call('pause', { instance: 'i-3' }),
        call('pause', { instance: 'i-4' }),
        call('snapshot', { instance: 'i-3' }),
        call('snapshot', { instance: 'i-4' }),
      ],
    ],
  ])('reads "it" or "them" in "%s" as the instances named before', (text, calls) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls });
  });

  it('snapshots each instance named, but gives one name to one snapshot only', () => {
    expect(planRequest('snapshot i-3, i-4 and i-5')).toEqual({
      kind: 'calls',
      calls: ['i-3', 'i-4', 'i-5'].map((instance) => call('snapshot', { instance })),
    });
    expect(planRequest('back up i-3 and i-4 called nightly').kind).not.toBe('calls');
  });

  it('reads "it" after a clause that named a GPU as that GPU, not as the last recommendation', () => {
    expect(planRequest('find a 4090 and deploy it')).toMatchObject({
      calls: [{ tool: 'search_offers' }, { tool: 'deploy', args: { gpu: 'rtx-4090' } }],
    });
  });

  it('still reads a single request whose shape holds a second verb as one', () => {
    expect(planRequest('snapshot i-3 every hour and keep the last 5')).toEqual({
      kind: 'calls',
      calls: [call('snapshot_policy', { instance: 'i-3', every_minutes: 60, keep_last: 5 })],
    });
  });
});

describe('a message where one request is for something gpuops cannot do', () => {
  it.each([
    ['pause i-3 and clone i-4', 'pause i-3', /can't clone or resize an instance yet/],
    ['snapshot i-3 then duplicate it', 'snapshot i-3', /can't clone or resize an instance yet/],
    ['resize i-4 and destroy i-5', 'destroy i-5', /can't clone or resize an instance yet/],
    ['pause i-3 and restore i-4 from yesterday', 'pause i-3', /can't read that as a snapshot request/],
  ])(
    'answers "%s" plainly about that part, runs nothing, and names the part it understood',
    (text, rest, why) => {
      const plan = planRequest(text);
      expect(plan.kind).toBe('unknown');
      const message = plan.kind === 'unknown' ? plan.message : '';
      expect(message).toMatch(why);
      expect(message).toContain('Nothing was done');
      expect(message).toContain(`"${rest}"`);
    },
  );

  it('says how to copy an instance with the tools it has: a snapshot restored onto a new instance', () => {
    const plan = planRequest('clone i-4');
    expect(plan).toMatchObject({ kind: 'unknown' });
    expect(plan.kind === 'unknown' && plan.message).toMatch(
      /snapshot it and restore that snapshot onto a new instance/,
    );
  });
});
