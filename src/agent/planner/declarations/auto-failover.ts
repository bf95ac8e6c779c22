import type { ToolDeclaration } from '../declaration.ts';
import { readAutoFailover } from '../failover.ts';

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
  whole: { order: 30, read: readAutoFailover },
};
