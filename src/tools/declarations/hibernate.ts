import type { ToolDeclaration } from './tool-declaration.ts';

export const hibernate: ToolDeclaration = {
  tool: 'hibernate',
  can: 'hibernate them',
  clauseWords: 'hibernate',
  neighbours: ['resume', 'hibernation_policy'],
  examples: [{ text: 'hibernate i-3', calls: [{ tool: 'hibernate', args: { instance: 'i-3' } }] }],
};
