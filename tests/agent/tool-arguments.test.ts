import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkToolArguments } from '../../src/agent/tool-arguments.ts';
import { defineTool } from '../../src/tools/tool.ts';

const tool = defineTool({
  name: 'search_offers',
  description: 'a tool whose fields sit under each wrapper a schema uses',
  schema: z.object({
    count: z.number().int().default(1),
    max_price_per_gpu_hour: z.number().optional(),
    spot: z.boolean().nullable().optional(),
    gpu: z.string().optional(),
  }),
  kind: 'quick',
  async run() {
    return { text: '', data: null };
  },
});

describe('a tool call with its arguments written as strings', () => {
  it('reads a number or boolean written as a string under default, optional and nullable wrappers', () => {
    const checked = checkToolArguments(tool, { count: '2', max_price_per_gpu_hour: '0.8', spot: 'TRUE' });
    expect(checked).toEqual({
      ok: true,
      args: { count: 2, max_price_per_gpu_hour: 0.8, spot: true },
      notes: [
        'count "2" was read as 2',
        'max_price_per_gpu_hour "0.8" was read as 0.8',
        'spot "TRUE" was read as true',
      ],
    });
  });

  it('leaves numeric text in a string field as text', () => {
    expect(checkToolArguments(tool, { gpu: '4090' })).toEqual({
      ok: true,
      args: { count: 1, gpu: '4090' },
      notes: [],
    });
  });
});
