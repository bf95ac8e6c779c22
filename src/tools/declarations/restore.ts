import type { ToolDeclaration } from './tool-declaration.ts';
import { SNAPSHOT_TALK } from './topic-words.ts';

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
  topic: { words: SNAPSHOT_TALK },
};
