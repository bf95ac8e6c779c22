import type { ToolDeclaration } from './tool-declaration.ts';

/**
 * Permission and cost (issue #20, not enforced yet): spends money. It rents the advisor's pick (or
 * the named GPU) for the training run, shows the estimate and the most it can cost, and asks for
 * confirmation before renting.
 */
export const fineTune: ToolDeclaration = {
  tool: 'fine_tune',
  can: 'fine-tune a model on your data (QLoRA, LoRA or full) with the GPU the advisor picks',
  clauseWords: 'fine-?tune|finetune|train',
  neighbours: ['recommend_gpu'],
  examples: [
    {
      text: 'fine-tune Llama 3.1 8B with QLoRA on s3://bucket/train.jsonl for 3 epochs',
      calls: [
        {
          tool: 'fine_tune',
          args: { model: 'Llama 3.1 8B', dataset: 's3://bucket/train.jsonl', method: 'qlora', epochs: 3 },
        },
      ],
    },
  ],
  // The data a fine-tune job trains on, not fine-tuning as a topic: "which GPU for fine-tuning?" is
  // the advisor's question, and offering this tool beside it only costs the model tokens.
  topic: { words: /(?:\.jsonl\b|\bdata\s?sets?\b|\bepochs?\b|\btrl\b|\bsft\b)/i },
};
