import type { ToolDeclaration } from '../declaration.ts';
import { AUTO_FAILOVER, FAILOVER_VERBS, failoverPlan, MOVE_SOMEWHERE } from '../failover-calls.ts';
import { INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

export const failover: ToolDeclaration = {
  tool: 'failover',
  can: 'move them to new machines (failover)',
  clauseWords: String.raw`fail\s*over|failover|fail\s+(?:it|them)\s+over|migrate`,
  neighbours: ['list_snapshots', 'instance_status'],
  examples: [
    { text: 'migrate i-2 to a new gpu', calls: [{ tool: 'failover', args: { instance: 'i-2' } }] },
    { text: 'i-3 died, move it', calls: [{ tool: 'failover', args: { instance: 'i-3' } }] },
  ],
  reading: {
    acts: [
      { pattern: FAILOVER_VERBS, points: 6 },
      { pattern: MOVE_SOMEWHERE, points: 5 },
    ],
    // "enable auto-failover for i-3" sets auto_failover.
    objects: [{ pattern: AUTO_FAILOVER, points: -9 }],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 7,
    uses: ['instance', 'price'],
    inherits: 'instances',
    verb: 'fail over',
    build: failoverPlan,
  },
  unread: {
    words: /\b(?:fail\s*over|failover|migrate)\b/,
    answer: 'I can\'t read that as a failover. Say e.g. "fail over i-3" or "migrate i-3 to an A100".',
  },
};
