import type { ToolDeclaration } from '../declaration.ts';
import { readDeleteSnapshot } from '../snapshots.ts';
import { SNAPSHOT_TALK } from '../topic-words.ts';

export const deleteSnapshot: ToolDeclaration = {
  tool: 'delete_snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['list_snapshots'],
  examples: [{ text: 'delete snap-3', calls: [{ tool: 'delete_snapshot', args: { snapshot: 'snap-3' } }] }],
  whole: { order: 12, read: readDeleteSnapshot },
  topic: { words: SNAPSHOT_TALK },
};
