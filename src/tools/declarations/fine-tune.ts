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
  neighbours: ['recommend_gpu', 'job_status'],
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
  topic: { words: /\b(?:fine[\s-]?tun\w*|finetun\w*|q?lora|sft|trl|adapter|epochs?|dataset|\.jsonl)\b/i },
};
