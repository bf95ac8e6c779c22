import { SNAPSHOT_NOUN } from '../../../tools/declarations/topic-words.ts';
import type { ToolReading } from '../declaration.ts';
import { callPerSnapshot } from '../instance-calls.ts';

const DELETE_VERBS = String.raw`delete|remove|drop|erase|discard|forget|purge|trash|bin|destroy|nuke|kill|terminate|get\s+rid\s+of|throw\s+(?:\S+\s+)?away|clean\s+up`;

export const deleteSnapshot: ToolReading = {
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
};
