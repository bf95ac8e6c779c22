import type { ToolReading } from '../declaration.ts';
import { AUTO_FAILOVER, autoFailoverPlan } from '../failover-calls.ts';
import { INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

export const autoFailover: ToolReading = {
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
