import { readDeployRecommendation } from '../advice.ts';
import type { ToolDeclaration } from '../declaration.ts';
import { ADVICE_TALK } from '../topic-words.ts';

export const deployRecommendation: ToolDeclaration = {
  tool: 'deploy_recommendation',
  can: 'recommend a GPU for a model',
  neighbours: ['recommend_gpu'],
  examples: [],
  whole: { order: 60, pronounsPointBack: true, read: readDeployRecommendation },
  topic: { words: ADVICE_TALK },
};
