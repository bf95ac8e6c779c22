import type { ToolReading } from '../declaration.ts';
import { restoreToNew } from '../snapshot-calls.ts';
import { PUT_BACK, RESTORE_VERBS } from './restore.ts';

export const restoreToNewInstance: ToolReading = {
  reading: {
    acts: [
      { pattern: RESTORE_VERBS, points: 4 },
      { pattern: PUT_BACK, points: 1 },
      // "spin up a new machine from snap-2": a machine made from a snapshot.
      {
        pattern: /\b(?:spin|fire|boot|bring|start|launch|create|make|deploy|rent|build)\b.*\bfrom\b/,
        points: 3,
      },
    ],
    objects: [{ pattern: /\b(?:new|fresh|another|different)\b/, points: 2 }],
    slots: [
      { slots: ['snapshot'], points: 3 },
      { slots: ['gpu'], points: 2 },
      { slots: ['instance'], points: -6 },
    ],
    needsAct: true,
    risk: 6,
    uses: ['snapshot', 'price', 'count', 'region'],
    verb: 'restore',
    build: restoreToNew,
  },
};
