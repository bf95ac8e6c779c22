import type { ToolDeclaration } from './tool-declaration.ts';
import { IDLE_TALK } from './topic-words.ts';

export const keepRunning: ToolDeclaration = {
  tool: 'keep_running',
  can: 'pause them when idle',
  neighbours: ['auto_pause', 'stop_auto_pause'],
  examples: [{ text: 'keep i-3 running', calls: [{ tool: 'keep_running', args: { instance: 'i-3' } }] }],
  topic: { words: IDLE_TALK },
};
