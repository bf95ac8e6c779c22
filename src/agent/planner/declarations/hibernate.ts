import type { ToolReading } from '../declaration.ts';
import { callPerInstance, INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

export const hibernate: ToolReading = {
  // A span ("after 2 hours paused") or "stop hibernating" is hibernation_policy's, read whole first.
  reading: {
    acts: [{ pattern: /\bhibernat\w*/, points: 6 }],
    objects: [],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 4,
    uses: ['instance'],
    inherits: 'instances',
    verb: 'hibernate',
    build: (ex) => callPerInstance('hibernate', 'hibernate', ex),
  },
};
