import type { ToolDeclaration } from '../declaration.ts';
import { readRestore } from '../snapshots.ts';
import { SNAPSHOT_TALK } from '../topic-words.ts';

export const restore: ToolDeclaration = {
  tool: 'restore',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  clauseWords: String.raw`restore`,
  neighbours: ['list_snapshots', 'restore_to_new_instance'],
  examples: [
    {
      text: 'restore snap-3 onto i-9',
      calls: [{ tool: 'restore', args: { snapshot: 'snap-3', instance: 'i-9' } }],
    },
  ],
  whole: { order: 11, read: readRestore },
  topic: { words: SNAPSHOT_TALK },
};
