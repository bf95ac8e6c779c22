import type { ToolDeclaration } from './tool-declaration.ts';
import { IDLE_TALK } from './topic-words.ts';

export const idleSavings: ToolDeclaration = {
  tool: 'idle_savings',
  can: 'pause them when idle',
  neighbours: ['auto_pause'],
  examples: [
    {
      text: 'how much did auto-pause save this week?',
      calls: [{ tool: 'idle_savings', args: { period: 'week' } }],
    },
  ],
  topic: { words: IDLE_TALK },
};
