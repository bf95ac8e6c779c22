import type { ToolDeclaration } from '../declaration.ts';
import { AUTO_FAILOVER, autoFailoverPlan } from '../failover-calls.ts';
import { INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

export const autoFailover: ToolDeclaration = {
  tool: 'auto_failover',
  can: 'move them to new machines (failover)',
  neighbours: ['failover', 'snapshot'],
  examples: [
    {
      text: 'enable auto-failover for i-5',
      calls: [{ tool: 'auto_failover', args: { instance: 'i-5', enabled: true } }],
    },
  ],
  clauseWords: String.raw`auto(?:matic)?[\s-]*fail[\s-]*over`,
  reading: {
    acts: [{ pattern: AUTO_FAILOVER, points: 8 }],
    objects: [],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 3,
    uses: ['instance'],
    inherits: 'instances',
    verb: 'turn on automatic failover for',
    build: autoFailoverPlan,
  },
};
