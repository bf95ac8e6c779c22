import { readKeepRunning } from '../auto-pause.ts';
import type { ToolDeclaration } from '../declaration.ts';
import { IDLE_TALK } from '../topic-words.ts';

export const keepRunning: ToolDeclaration = {
  tool: 'keep_running',
  can: 'pause them when idle',
  neighbours: ['auto_pause', 'stop_auto_pause'],
  examples: [{ text: 'keep i-3 running', calls: [{ tool: 'keep_running', args: { instance: 'i-3' } }] }],
  whole: { order: 51, read: readKeepRunning },
  topic: { words: IDLE_TALK },
};
