import type { ToolDeclaration } from '../declaration.ts';
import { readDescribeSnapshot } from '../snapshots.ts';
import { SNAPSHOT_TALK } from '../topic-words.ts';

export const describeSnapshot: ToolDeclaration = {
  tool: 'describe_snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['list_snapshots', 'restore'],
  examples: [
    { text: 'describe snap-3', calls: [{ tool: 'describe_snapshot', args: { snapshot: 'snap-3' } }] },
  ],
  whole: { order: 13, read: readDescribeSnapshot },
  topic: { words: SNAPSHOT_TALK },
};
