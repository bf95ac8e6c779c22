import type { ToolDeclaration } from './tool-declaration.ts';

export const listInstances: ToolDeclaration = {
  tool: 'list_instances',
  can: 'list and check instances',
  clauseWords: 'show|list',
  neighbours: [],
  examples: [
    { text: 'list my instances', calls: [{ tool: 'list_instances', args: {} }] },
    { text: "what's running?", calls: [{ tool: 'list_instances', args: {} }] },
    { text: 'show my machines', calls: [{ tool: 'list_instances', args: {} }] },
    { text: 'my gpus', calls: [{ tool: 'list_instances', args: {} }] },
    { text: 'show stopped instances', calls: [{ tool: 'list_instances', args: { state: 'stopped' } }] },
    {
      text: 'all instances including destroyed',
      calls: [{ tool: 'list_instances', args: { state: 'all' } }],
    },
    { text: 'list running instances', calls: [{ tool: 'list_instances', args: { state: 'running' } }] },
    { text: 'show paused machines', calls: [{ tool: 'list_instances', args: { state: 'stopped' } }] },
    { text: 'status', calls: [{ tool: 'list_instances', args: {} }] },
    { text: 'what am I paying for', calls: [{ tool: 'list_instances', args: {} }] },
    { text: 'any machines running?', calls: [{ tool: 'list_instances', args: { state: 'running' } }] },
    { text: 'list destroyed instances', calls: [{ tool: 'list_instances', args: { state: 'all' } }] },
  ],
};
