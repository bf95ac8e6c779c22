import type { ToolDeclaration } from './tool-declaration.ts';
import { SNAPSHOT_TALK } from './topic-words.ts';

export const describeSnapshot: ToolDeclaration = {
  tool: 'describe_snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['list_snapshots', 'restore'],
  examples: [
    { text: 'describe snap-3', calls: [{ tool: 'describe_snapshot', args: { snapshot: 'snap-3' } }] },
  ],
  topic: { words: SNAPSHOT_TALK },
};
