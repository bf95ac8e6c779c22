import type { ToolReading } from '../declaration.ts';
import { restoreSnapshot } from '../snapshot-calls.ts';

/** Verbs that put a snapshot back, on an instance there is or on a new one. */
export const RESTORE_VERBS = /\b(?:restore|roll(?:\s+\S+)?\s+back|revert|reset|load|apply|rollback)\b/;
/** "put snap-4 back on i-2", "bring back snap-2": a snapshot put back, only with a snapshot named. */
export const PUT_BACK = /\b(?:put|bring|go|take|return)\b(?:\s+\S+)?\s+back\b|\bback\s+to\b/;

export const restore: ToolReading = {
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
};
