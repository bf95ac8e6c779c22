import { readAdviceQuestion } from '../advice.ts';
import type { ToolReading } from '../declaration.ts';

export const recommendGpu: ToolReading = {
  whole: { order: 70, read: readAdviceQuestion },
};
