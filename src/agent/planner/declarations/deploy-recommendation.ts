import { readDeployRecommendation } from '../advice.ts';
import type { ToolReading } from '../declaration.ts';

export const deployRecommendation: ToolReading = {
  whole: { order: 60, pronounsPointBack: true, read: readDeployRecommendation },
};
