import type { ToolDeclaration } from './tool-declaration.ts';
import { SNAPSHOT_TALK } from './topic-words.ts';

export const listSnapshots: ToolDeclaration = {
  tool: 'list_snapshots',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['restore', 'describe_snapshot'],
  examples: [{ text: 'show my snapshots', calls: [{ tool: 'list_snapshots', args: {} }] }],
  topic: { words: SNAPSHOT_TALK },
};
