import type { ToolReading } from '../declaration.ts';
import { takeSnapshots } from '../snapshot-calls.ts';

export const snapshot: ToolReading = {
  reading: {
    acts: [
      // "back i-3 up" reads "back     up" once the id is taken; "spin i-3 back up" resumes.
      {
        pattern:
          /\b(?:snapshot|checkpoint|backup|(?<!\b(?:spin|start|bring|boot|fire|power|get)\s+(?:\S+\s+)?)back\s*-?\s*(?:\S+\s+){0,3}?up)\b/,
        points: 5,
      },
      { pattern: /\b(?:save|preserve|capture)\b/, points: 4 },
    ],
    objects: [
      // "what's the latest snapshot of i-3" asks about one, it does not take one.
      {
        pattern: /\b(?:latest|last|newest|recent|existing|any|which|what|how\s+many|list|show)\b/,
        points: -3,
      },
      // A schedule is snapshot_policy's, and one it cannot read ("every other tuesday") is asked about.
      { pattern: /\b(?:every|hourly|daily|nightly|weekly|schedul\w*|keep|retain)\b/, points: -6 },
    ],
    slots: [
      { slots: ['instance'], points: 3 },
      { slots: ['name'], points: 1 },
      { slots: ['snapshot'], points: -6 },
    ],
    needsAct: true,
    risk: 2,
    uses: ['instance', 'name'],
    inherits: 'instances',
    verb: 'snapshot',
    build: takeSnapshots,
  },
};
