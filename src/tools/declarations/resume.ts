import type { ToolDeclaration } from './tool-declaration.ts';

export const resume: ToolDeclaration = {
  tool: 'resume',
  can: 'pause, resume or destroy them',
  clauseWords: 'resume|unpause|restart|start',
  neighbours: ['pause'],
  examples: [
    { text: 'resume i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'start i-3 again', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'unpause i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'restart i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'start i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'bring i-3 back', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    { text: 'wake up I-8', calls: [{ tool: 'resume', args: { instance: 'i-8' } }] },
    { text: 'spin i-3 back up', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
    {
      text: 'resume i-3 and i-4 then destroy i-5',
      calls: [
        { tool: 'resume', args: { instance: 'i-3' } },
        { tool: 'resume', args: { instance: 'i-4' } },
        { tool: 'destroy', args: { instance: 'i-5' } },
      ],
    },
    { text: 'wake i-3', calls: [{ tool: 'resume', args: { instance: 'i-3' } }] },
  ],
};
