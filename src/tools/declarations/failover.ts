import type { ToolDeclaration } from './tool-declaration.ts';

export const failover: ToolDeclaration = {
  tool: 'failover',
  can: 'move them to new machines (failover)',
  clauseWords: String.raw`fail\s*over|failover|fail\s+(?:it|them)\s+over|migrate`,
  neighbours: ['list_snapshots', 'instance_status'],
  examples: [
    { text: 'migrate i-2 to a new gpu', calls: [{ tool: 'failover', args: { instance: 'i-2' } }] },
    { text: 'i-3 died, move it', calls: [{ tool: 'failover', args: { instance: 'i-3' } }] },
  ],
  unread: {
    words: /\b(?:fail\s*over|failover|migrate)\b/,
    answer: 'I can\'t read that as a failover. Say e.g. "fail over i-3" or "migrate i-3 to an A100".',
  },
};
