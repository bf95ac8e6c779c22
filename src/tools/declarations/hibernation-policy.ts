import type { ToolDeclaration } from './tool-declaration.ts';

export const hibernationPolicy: ToolDeclaration = {
  tool: 'hibernation_policy',
  can: 'hibernate them',
  neighbours: ['hibernate', 'resume'],
  examples: [
    {
      text: 'hibernate i-3 after 2 hours paused',
      calls: [{ tool: 'hibernation_policy', args: { instance: 'i-3', after_minutes: 120 } }],
    },
  ],
};
