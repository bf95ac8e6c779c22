import type { ToolDeclaration } from './tool-declaration.ts';

export const instanceStatus: ToolDeclaration = {
  tool: 'instance_status',
  can: 'list and check instances',
  clauseWords: 'check|status',
  neighbours: [],
  examples: [
    { text: 'status of i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'how is i-3 doing', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'i-3 status', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'details for i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'ssh for i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'how do I connect to i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: 'i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
    { text: "what's the ip of i-3", calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
  ],
};
