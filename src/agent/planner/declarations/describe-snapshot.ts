import { SNAPSHOT_NOUN } from '../../../tools/declarations/topic-words.ts';
import type { ToolReading } from '../declaration.ts';
import { callPerSnapshot } from '../instance-calls.ts';

export const describeSnapshot: ToolReading = {
  reading: {
    acts: [],
    objects: [
      {
        pattern:
          /\b(?:describe|details?|info|information|inspect|show|look\s+at|tell\s+me\s+about|what(?:'s|s|\s+is)(?:\s+in)?|contents?)\b/,
        points: 2,
      },
      { pattern: SNAPSHOT_NOUN, points: 2 },
    ],
    slots: [
      { slots: ['snapshot'], points: 4 },
      { slots: ['instance'], points: -4 },
    ],
    risk: 0,
    uses: ['snapshot'],
    verb: 'describe',
    build: (ex) => callPerSnapshot('describe_snapshot', 'describe', ex),
  },
};
