import type { ToolDeclaration } from './tool-declaration.ts';
import { ADVICE_TALK } from './topic-words.ts';

export const deployRecommendation: ToolDeclaration = {
  tool: 'deploy_recommendation',
  can: 'recommend a GPU for a model',
  neighbours: ['recommend_gpu'],
  examples: [],
  topic: { words: ADVICE_TALK },
};
