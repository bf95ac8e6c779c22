import { readIdleSavings } from '../auto-pause.ts';
import type { ToolDeclaration } from '../declaration.ts';
import { IDLE_TALK } from '../topic-words.ts';

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
  whole: { order: 50, read: readIdleSavings },
  topic: { words: IDLE_TALK },
};
