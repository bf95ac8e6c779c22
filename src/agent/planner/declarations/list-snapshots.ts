import { LOOK } from '../act-words.ts';
import type { ToolReading } from '../declaration.ts';
import { listSnapshots as listPlan } from '../snapshot-calls.ts';

export const listSnapshots: ToolReading = {
  reading: {
    acts: [],
    objects: [
      { pattern: /\b(?:snapshots|snaps|back-?ups|checkpoints)\b/, points: 5 },
      { pattern: /\b(?:snapshot|backup|back-up|checkpoint)\b/, points: 2 },
      { pattern: LOOK, points: 2 },
      {
        pattern:
          /\b(?:latest|last|newest|recent|existing|how\s+many|do\s+(?:i|we|you)\s+have|are\s+there|exist|have\s+(?:i|we)\s+(?:got|taken|made)|does|has)\b/,
        points: 2,
      },
      // "how long do we keep snapshots around?" is about keeping them, which no list answers.
      { pattern: /\b(?:keep|retain|retention|how\s+long|policy|schedul\w*|every)\b/, points: -5 },
    ],
    slots: [
      { slots: ['instance'], points: 1 },
      { slots: ['snapshot'], points: -6 },
    ],
    risk: 0,
    uses: ['instance'],
    verb: 'list snapshots of',
    build: listPlan,
  },
};
