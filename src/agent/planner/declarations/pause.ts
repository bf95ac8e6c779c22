import type { ToolReading } from '../declaration.ts';
import { callPerInstance, INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

const PAUSE_VERBS = String.raw`pause|stop|suspend|halt|freeze|shut\s*(?:\S+\s+)?down|turn\s+(?:\S+\s+)?off|power\s+(?:\S+\s+)?off|put\s+(?:\S+\s+){0,3}to\s+sleep`;

export const pause: ToolReading = {
  reading: {
    acts: [{ pattern: new RegExp(String.raw`\b(?:${PAUSE_VERBS})\b`), points: 5 }],
    objects: [],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 3,
    // "stop auto-failover for i-3" turns automatic failover off; it pauses nothing.
    yieldsTo: ['auto_failover'],
    uses: ['instance'],
    inherits: 'instances',
    verb: 'pause',
    build: (ex) => callPerInstance('pause', 'pause', ex),
  },
};
