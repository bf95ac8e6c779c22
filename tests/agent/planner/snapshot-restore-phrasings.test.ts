import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';

const calls = (text: string) => {
  const plan = planRequest(text);
  return plan.kind === 'calls' ? plan.calls : plan;
};

describe('other ways of asking for a snapshot', () => {
  it.each([
    'back up i-3',
    'take a backup of i-3',
    'checkpoint i-3',
    'save the state of i-3',
    'make a snapshot of i-3',
    'snapshot of i-3 please',
    'can you snapshot i-3?',
    'could you back up i-3',
    'back i-3 up',
    'snapshot instance 3',
    'I need a checkpoint of i-3 before the upgrade',
  ])('reads "%s" as a snapshot of i-3', (text) => {
    expect(calls(text)).toEqual([{ tool: 'snapshot', args: { instance: 'i-3' } }]);
  });

  it('keeps the name given, and refuses one it cannot store exactly', () => {
    expect(calls('could you take a backup of i-3 called pre-upgrade?')).toEqual([
      { tool: 'snapshot', args: { instance: 'i-3', name: 'pre-upgrade' } },
    ]);
    expect(planRequest('back up i-3 as "a/../b"')).not.toMatchObject({ kind: 'calls' });
  });
});

describe('other ways of asking for a restore', () => {
  it.each([
    ['roll i-3 back to snap-2', 'i-3'],
    ['bring back snap-2 onto i-7', 'i-7'],
    ['revert i-7 to snap-2', 'i-7'],
    ['restore from snap-2 to i-7', 'i-7'],
    ['load snap-2 onto i-7', 'i-7'],
    ['can you restore snap-2 onto i-7?', 'i-7'],
    ['restore i-7 from snapshot snap-2', 'i-7'],
  ])('reads "%s" as restoring snap-2 onto %s', (text, instance) => {
    expect(calls(text)).toEqual([{ tool: 'restore', args: { snapshot: 'snap-2', instance } }]);
  });

  it('never restores when two snapshots or two instances leave it unclear', () => {
    expect(planRequest('restore snap-2 and snap-3 onto i-7')).not.toMatchObject({ kind: 'calls' });
    expect(planRequest('roll i-3 and i-4 back to snap-2')).not.toMatchObject({
      calls: [{ tool: 'restore' }],
    });
  });
});

describe('questions about snapshots read as the command they ask for', () => {
  it.each([
    ['what snapshots do we have?', { tool: 'list_snapshots', args: {} }],
    ['which backups exist for i-4?', { tool: 'list_snapshots', args: { instance: 'i-4' } }],
    ['does i-4 have any snapshots?', { tool: 'list_snapshots', args: { instance: 'i-4' } }],
    ['what is snap-5?', { tool: 'describe_snapshot', args: { snapshot: 'snap-5' } }],
    ['could you get rid of snap-5', { tool: 'delete_snapshot', args: { snapshot: 'snap-5' } }],
  ])('reads "%s"', (text, call) => {
    expect(calls(text)).toEqual([call]);
  });
});

describe('requests about several snapshots', () => {
  it.each([
    ['delete snap-4 and snap-5', 'delete_snapshot', ['snap-4', 'snap-5']],
    ['please delete snap-4, snap-5 and snap-6', 'delete_snapshot', ['snap-4', 'snap-5', 'snap-6']],
    ['get rid of snapshots snap-4 and snap-5', 'delete_snapshot', ['snap-4', 'snap-5']],
    ['remove snap-4 & snap-5', 'delete_snapshot', ['snap-4', 'snap-5']],
    ['describe snap-4 and snap-5', 'describe_snapshot', ['snap-4', 'snap-5']],
    ['what is in snap-4 and snap-5?', 'describe_snapshot', ['snap-4', 'snap-5']],
  ])('reads "%s" as one %s call per snapshot (the tool asks before deleting)', (text, tool, snapshots) => {
    expect(calls(text)).toEqual(snapshots.map((snapshot) => ({ tool, args: { snapshot } })));
  });

  it('never reads a snapshot id as an instance to destroy or check', () => {
    for (const text of ['delete snap-4 and snap-5', 'kill snap-9', 'status of snap-3']) {
      expect(JSON.stringify(planRequest(text))).not.toMatch(
        /"tool":"(?:destroy|instance_status)"|which instance/i,
      );
    }
  });

  it('asks which snapshot when none is named, and refuses an id it cannot use', () => {
    expect(planRequest('delete the snapshot')).toMatchObject({
      kind: 'clarify',
      message: expect.stringMatching(/^Delete which snapshot\?/),
    });
    expect(planRequest('delete snap-12345678901')).toMatchObject({
      kind: 'clarify',
      message: expect.stringMatching(/not a snapshot id/),
    });
  });

  it('never destroys an instance when asked to delete its snapshots', () => {
    expect(JSON.stringify(planRequest('delete snapshots of i-3'))).not.toMatch(/"tool":"destroy"/);
  });
});
