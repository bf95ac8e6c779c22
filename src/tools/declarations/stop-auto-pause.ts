import type { ToolDeclaration } from './tool-declaration.ts';
import { IDLE_TALK } from './topic-words.ts';

export const stopAutoPause: ToolDeclaration = {
  tool: 'stop_auto_pause',
  can: 'pause them when idle',
  neighbours: ['auto_pause'],
  examples: [
    { text: 'stop auto-pausing i-3', calls: [{ tool: 'stop_auto_pause', args: { instance: 'i-3' } }] },
  ],
  topic: { words: IDLE_TALK },
};
