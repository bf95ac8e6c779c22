import type { ToolDeclaration } from './tool-declaration.ts';

export const autoFailover: ToolDeclaration = {
  tool: 'auto_failover',
  can: 'move them to new machines (failover)',
  neighbours: ['failover', 'snapshot'],
  examples: [
    {
      text: 'enable auto-failover for i-5',
      calls: [{ tool: 'auto_failover', args: { instance: 'i-5', enabled: true } }],
    },
  ],
  clauseWords: String.raw`auto(?:matic)?[\s-]*fail[\s-]*over`,
};
