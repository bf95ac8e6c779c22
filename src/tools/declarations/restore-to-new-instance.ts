import type { ToolDeclaration } from './tool-declaration.ts';

export const restoreToNewInstance: ToolDeclaration = {
  tool: 'restore_to_new_instance',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  neighbours: ['list_snapshots', 'restore'],
  examples: [
    {
      text: 'restore snap-3 on a 4090',
      calls: [{ tool: 'restore_to_new_instance', args: { snapshot: 'snap-3', gpu: 'rtx-4090' } }],
    },
  ],
};
