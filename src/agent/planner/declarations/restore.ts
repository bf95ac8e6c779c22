import type { ToolDeclaration } from '../declaration.ts';
import { restoreSnapshot } from '../snapshot-calls.ts';
import { SNAPSHOT_TALK } from '../topic-words.ts';

/** Verbs that put a snapshot back, on an instance there is or on a new one. */
export const RESTORE_VERBS = /\b(?:restore|roll(?:\s+\S+)?\s+back|revert|reset|load|apply|rollback)\b/;
/** "put snap-4 back on i-2", "bring back snap-2": a snapshot put back, only with a snapshot named. */
export const PUT_BACK = /\b(?:put|bring|go|take|return)\b(?:\s+\S+)?\s+back\b|\bback\s+to\b/;

export const restore: ToolDeclaration = {
  tool: 'restore',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  clauseWords: 'restore',
  neighbours: ['list_snapshots', 'restore_to_new_instance'],
  examples: [
    {
      text: 'restore snap-3 onto i-9',
      calls: [{ tool: 'restore', args: { snapshot: 'snap-3', instance: 'i-9' } }],
    },
  ],
  reading: {
    acts: [
      { pattern: RESTORE_VERBS, points: 4 },
      { pattern: PUT_BACK, points: 1 },
    ],
    objects: [],
    slots: [
      { slots: ['snapshot'], points: 3 },
      { slots: ['instance'], points: 1 },
    ],
    needsAct: true,
    risk: 5,
    uses: ['snapshot', 'instance'],
    inherits: 'instances',
    verb: 'restore',
    build: restoreSnapshot,
  },
  topic: { words: SNAPSHOT_TALK },
};
