import type { ToolDeclaration } from '../declaration.ts';
import { readFailover } from '../failover.ts';

export const failover: ToolDeclaration = {
  tool: 'failover',
  can: 'move them to new machines (failover)',
  clauseWords: String.raw`fail\s*over|failover|migrate`,
  neighbours: ['list_snapshots', 'instance_status'],
  examples: [
    { text: 'migrate i-2 to a new gpu', calls: [{ tool: 'failover', args: { instance: 'i-2' } }] },
    { text: 'i-3 died, move it', calls: [{ tool: 'failover', args: { instance: 'i-3' } }] },
  ],
  whole: { order: 31, read: readFailover },
};
