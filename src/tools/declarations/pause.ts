import type { ToolDeclaration } from './tool-declaration.ts';

export const pause: ToolDeclaration = {
  tool: 'pause',
  can: 'pause, resume or destroy them',
  clauseWords: 'pause|stop|suspend',
  neighbours: ['resume', 'destroy'],
  examples: [
    { text: 'pause i-3', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    { text: 'stop i-3', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    { text: 'stop instance 3', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    { text: 'suspend i-12', calls: [{ tool: 'pause', args: { instance: 'i-12' } }] },
    { text: 'shut down i-3', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    { text: 'turn off i-9 please', calls: [{ tool: 'pause', args: { instance: 'i-9' } }] },
    {
      text: 'pause i-3 and i-4',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'pause', args: { instance: 'i-4' } },
      ],
    },
    {
      text: 'pause i-3, i-4 and i-5',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'pause', args: { instance: 'i-4' } },
        { tool: 'pause', args: { instance: 'i-5' } },
      ],
    },
    {
      text: 'pause instances 3 and 4',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'pause', args: { instance: 'i-4' } },
      ],
    },
    {
      text: 'stop i-3 and destroy i-4',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'destroy', args: { instance: 'i-4' } },
      ],
    },
    {
      text: 'stop i-3, then start i-5',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'resume', args: { instance: 'i-5' } },
      ],
    },
    { text: "don't destroy i-3, just pause it", calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    { text: 'gpuops: suspend i-003', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    { text: 'put i-3 to sleep', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
    {
      text: 'Hi. Can you pause i-3 and destroy i-4',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'destroy', args: { instance: 'i-4' } },
      ],
    },
    {
      text: 'pause i-3\npause i-4',
      calls: [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'pause', args: { instance: 'i-4' } },
      ],
    },
  ],
};
