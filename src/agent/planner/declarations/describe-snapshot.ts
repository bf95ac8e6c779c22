import type { ToolDeclaration } from '../declaration.ts';
import { callPerSnapshot } from '../instance-calls.ts';
import { SNAPSHOT_NOUN, SNAPSHOT_TALK } from '../topic-words.ts';

export const describeSnapshot: ToolDeclaration = {
  tool: 'describe_snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['list_snapshots', 'restore'],
  examples: [
    { text: 'describe snap-3', calls: [{ tool: 'describe_snapshot', args: { snapshot: 'snap-3' } }] },
  ],
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
  topic: { words: SNAPSHOT_TALK },
};
