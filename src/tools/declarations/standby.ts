import type { ToolDeclaration } from './tool-declaration.ts';
import { STANDBY_TALK } from './topic-words.ts';

export const standby: ToolDeclaration = {
  tool: 'standby',
  can: 'keep a CPU standby for them',
  neighbours: ['snapshot', 'list_snapshots', 'failover'],
  examples: [
    {
      text: 'enable standby for i-3',
      calls: [{ tool: 'standby', args: { instance: 'i-3', enabled: true } }],
    },
    {
      text: 'standby i-8 on a spot e2-standard-8',
      calls: [
        {
          tool: 'standby',
          args: { instance: 'i-8', enabled: true, machine_type: 'e2-standard-8', spot: true },
        },
      ],
    },
    {
      text: 'turn off standby for i-3',
      calls: [{ tool: 'standby', args: { instance: 'i-3', enabled: false } }],
    },
  ],
  topic: { words: STANDBY_TALK, evenWhenPlaced: true },
};
