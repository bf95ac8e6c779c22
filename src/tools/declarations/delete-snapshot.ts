import type { ToolDeclaration } from './tool-declaration.ts';
import { SNAPSHOT_TALK } from './topic-words.ts';

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
  topic: { words: SNAPSHOT_TALK },
};
