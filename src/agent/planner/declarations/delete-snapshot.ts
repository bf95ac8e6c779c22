import type { ToolDeclaration } from '../declaration.ts';
import { callPerSnapshot } from '../instance-calls.ts';
import { SNAPSHOT_NOUN, SNAPSHOT_TALK } from '../topic-words.ts';

const DELETE_VERBS = String.raw`delete|remove|drop|erase|discard|forget|purge|trash|bin|destroy|nuke|kill|terminate|get\s+rid\s+of|throw\s+(?:\S+\s+)?away|clean\s+up`;

export const deleteSnapshot: ToolDeclaration = {
  tool: 'delete_snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['list_snapshots'],
  examples: [
    { text: 'delete snap-3', calls: [{ tool: 'delete_snapshot', args: { snapshot: 'snap-3' } }] },
    {
      text: 'delete snap-4 and snap-5',
      calls: [
        { tool: 'delete_snapshot', args: { snapshot: 'snap-4' } },
        { tool: 'delete_snapshot', args: { snapshot: 'snap-5' } },
      ],
    },
  ],
  reading: {
    acts: [{ pattern: new RegExp(String.raw`\b(?:${DELETE_VERBS})\b`), points: 5 }],
    objects: [{ pattern: SNAPSHOT_NOUN, points: 2 }],
    slots: [
      { slots: ['snapshot'], points: 4 },
      { slots: ['instance'], points: -4 },
    ],
    needsAct: true,
    risk: 6,
    uses: ['snapshot'],
    verb: 'delete',
    build: (ex) => callPerSnapshot('delete_snapshot', 'delete', ex),
  },
  topic: { words: SNAPSHOT_TALK },
};
