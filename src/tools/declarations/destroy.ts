import type { ToolDeclaration } from './tool-declaration.ts';

export const destroy: ToolDeclaration = {
  tool: 'destroy',
  can: 'pause, resume or destroy them',
  clauseWords: 'destroy|terminate|delete|kill|tear|remove|nuke',
  neighbours: ['pause'],
  examples: [
    { text: 'destroy i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
    { text: 'terminate i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
    { text: 'delete instance i-7', calls: [{ tool: 'destroy', args: { instance: 'i-7' } }] },
    { text: 'kill i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
    { text: 'tear down i-2', calls: [{ tool: 'destroy', args: { instance: 'i-2' } }] },
    { text: 'kill #7', calls: [{ tool: 'destroy', args: { instance: 'i-7' } }] },
  ],
};
