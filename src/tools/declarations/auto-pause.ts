import type { ToolDeclaration } from './tool-declaration.ts';
import { IDLE_TALK } from './topic-words.ts';

export const autoPause: ToolDeclaration = {
  tool: 'auto_pause',
  can: 'pause them when idle',
  clauseWords: String.raw`auto[\s-]?pause`,
  neighbours: ['stop_auto_pause', 'keep_running'],
  examples: [
    {
      text: 'auto-pause i-4 after 20 minutes idle',
      calls: [{ tool: 'auto_pause', args: { instance: 'i-4', idle_minutes: 20 } }],
    },
    {
      text: 'pause i-3 when idle for 15 minutes',
      calls: [{ tool: 'auto_pause', args: { instance: 'i-3', idle_minutes: 15 } }],
    },
    {
      text: 'auto-pause idle instances in this channel after 30 minutes',
      calls: [{ tool: 'auto_pause', args: { channel_default: true, idle_minutes: 30 } }],
    },
  ],
  topic: { words: IDLE_TALK },
};
