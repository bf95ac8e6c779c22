import type { ToolDeclaration } from './tool-declaration.ts';
import { ADVICE_TALK } from './topic-words.ts';

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
  topic: { words: ADVICE_TALK },
  unread: {
    words:
      /\b(?:recommend\w*|suggest\w*|advise|advice|should\s+(?:i|we)|best\s+(?:gpu|card)\s+for|enough\s+(?:vram|memory)|fine-?tun\w*|serve\s+(?:a\s+|the\s+)?(?:model|llm|llama|mistral|qwen)|run\s+(?:a\s+|the\s+)?(?:model|llm|llama|mistral|qwen))\b/,
    answer:
      'I can\'t tell which model that is about. For GPU advice, name it, e.g. "what GPU do I need to serve Llama 3.1 8B?", or ask `gpuops advise "<question>"`.',
  },
};
