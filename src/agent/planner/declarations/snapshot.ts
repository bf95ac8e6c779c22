import type { ToolDeclaration } from '../declaration.ts';
import { readTakeSnapshot } from '../snapshots.ts';
import { SNAPSHOT_TALK } from '../topic-words.ts';

export const snapshot: ToolDeclaration = {
  tool: 'snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  clauseWords: String.raw`snapshot|back\s+up|backup|checkpoint`,
  neighbours: ['list_snapshots'],
  examples: [
    { text: 'back up i-6', calls: [{ tool: 'snapshot', args: { instance: 'i-6' } }] },
    {
      text: 'take a snapshot of i-14 called before-upgrade',
      calls: [{ tool: 'snapshot', args: { instance: 'i-14', name: 'before-upgrade' } }],
    },
  ],
  whole: { order: 16, read: readTakeSnapshot },
  topic: { words: SNAPSHOT_TALK },
};
