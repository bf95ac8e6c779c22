import type { ToolReading } from '../declaration.ts';
import { AUTO_FAILOVER, FAILOVER_VERBS, failoverPlan, MOVE_SOMEWHERE } from '../failover-calls.ts';
import { INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

export const failover: ToolReading = {
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
};
