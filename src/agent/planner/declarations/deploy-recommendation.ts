import { readDeployRecommendation } from '../advice.ts';
import type { ToolDeclaration } from '../declaration.ts';

export const deployRecommendation: ToolDeclaration = {
  tool: 'deploy_recommendation',
  can: 'recommend a GPU for a model',
  neighbours: ['recommend_gpu'],
  examples: [],
  whole: { order: 60, read: readDeployRecommendation },
};
