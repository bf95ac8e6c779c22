import { readAdviceQuestion } from '../advice.ts';
import type { ToolDeclaration } from '../declaration.ts';
import { ADVICE_TALK } from '../topic-words.ts';

export const recommendGpu: ToolDeclaration = {
  tool: 'recommend_gpu',
  can: 'recommend a GPU for a model',
  // recommend_gpu's definition is the largest by far (the job's size); its neighbours stay few.
  neighbours: ['deploy_recommendation'],
  examples: [
    {
      text: 'what GPU do I need to serve Llama 3.1 8B?',
      calls: [{ tool: 'recommend_gpu', args: { model: 'llama-3.1-8b', task: 'inference' } }],
    },
  ],
  whole: { order: 70, read: readAdviceQuestion },
  topic: { words: ADVICE_TALK },
};
