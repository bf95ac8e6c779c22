import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECLARED } from '../../../src/agent/planner/declarations/index.ts';
import { planRequest } from '../../../src/agent/planner/index.ts';
import { TOOL_SCHEMAS } from '../../../src/tools/schemas.ts';

const call = (tool: string, args: Record<string, unknown>) => ({ tool, args });

describe('the tools read by the scoring like the everyday ones', () => {
  it('reads the snapshot, restore, failover and hibernate tools through their readings, not whole', () => {
    const scored = DECLARED.filter((d) => d.reading !== undefined).map((d) => d.tool);
    expect(scored).toEqual(
      expect.arrayContaining([
        'snapshot',
        'list_snapshots',
        'describe_snapshot',
        'delete_snapshot',
        'restore',
        'restore_to_new_instance',
        'failover',
        'auto_failover',
        'hibernate',
      ]),
    );
    for (const declaration of DECLARED) {
      if (declaration.reading) expect(declaration.whole, declaration.tool).toBeUndefined();
    }
  });

  it.each([
    [
      'could you hibernate instance 6 and i-7',
      [call('hibernate', { instance: 'i-6' }), call('hibernate', { instance: 'i-7' })],
    ],
    ['i-4 is dead, fail it over', [call('failover', { instance: 'i-4' })]],
    ['turn on automatic failover on i-3', [call('auto_failover', { instance: 'i-3', enabled: true })]],
    [
      'restore snap-3 on two 4090s in europe under 60 cents',
      [
        call('restore_to_new_instance', {
          snapshot: 'snap-3',
          gpu: 'rtx-4090',
          count: 2,
          region: 'europe',
          max_price_per_gpu_hour: 0.6,
        }),
      ],
    ],
    ['snapshot instance 4 called pre-Upgrade', [call('snapshot', { instance: 'i-4', name: 'pre-Upgrade' })]],
    [
      'list the backups of i-3 and i-4',
      [call('list_snapshots', { instance: 'i-3' }), call('list_snapshots', { instance: 'i-4' })],
    ],
  ])('reads "%s" from the shared slots', (text, calls) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls });
  });

  it('never takes a snapshot when asked about one, and asks which instance a restore goes onto', () => {
    expect(JSON.stringify(planRequest("what's the latest snapshot of i-3?"))).not.toMatch(
      /"tool":"snapshot"/,
    );
    expect(planRequest('restore snap-3')).toMatchObject({
      kind: 'clarify',
      message: expect.stringMatching(/^Restore snap-3 onto which instance\?/),
    });
  });

  it('lets the whole-request readers know every way of naming an instance', () => {
    expect(planRequest('keep instance 3 running')).toEqual({
      kind: 'calls',
      calls: [call('keep_running', { instance: 'i-3' })],
    });
    expect(planRequest('stop auto pausing #7')).toEqual({
      kind: 'calls',
      calls: [call('stop_auto_pause', { instance: 'i-7' })],
    });
  });

  it.each([
    ['would you keep i-3 running for 2 hours?', call('keep_running', { instance: 'i-3', minutes: 120 })],
    [
      'could you snapshot i-5 every 12 hours?',
      call('snapshot_policy', { instance: 'i-5', every_minutes: 720 }),
    ],
    [
      'hey, can you hibernate i-3 after 2 hours paused?',
      call('hibernation_policy', { instance: 'i-3', after_minutes: 120 }),
    ],
    ['can you enable standby for instance 3?', call('standby', { instance: 'i-3', enabled: true })],
  ])('lets the whole-request readers read the question "%s" as the command it asks for', (text, expected) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [expected] });
  });

  it('keeps tool names out of the planner control flow: index, intent and build name no tool', () => {
    for (const file of ['index.ts', 'intent.ts', 'build.ts']) {
      const source = readFileSync(new URL(`../../../src/agent/planner/${file}`, import.meta.url), 'utf8');
      for (const tool of Object.keys(TOOL_SCHEMAS)) expect(source, file).not.toContain(`'${tool}'`);
    }
  });
});
