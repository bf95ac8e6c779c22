import type { ToolDeclaration } from './tool-declaration.ts';
import { SNAPSHOT_TALK } from './topic-words.ts';

export const snapshotPolicy: ToolDeclaration = {
  tool: 'snapshot_policy',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['snapshot', 'list_snapshots'],
  examples: [
    {
      text: 'snapshot i-3 every 6 hours',
      calls: [{ tool: 'snapshot_policy', args: { instance: 'i-3', every_minutes: 360 } }],
    },
    {
      text: 'keep the last 5 snapshots of i-3',
      calls: [{ tool: 'snapshot_policy', args: { instance: 'i-3', keep_last: 5 } }],
    },
  ],
  topic: { words: SNAPSHOT_TALK },
};
