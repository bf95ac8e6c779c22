import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { defineTool, type ToolServices } from '../../src/tools/tool.ts';

const ctx: RequestContext = {
  user: 'alice',
  channel: 'team-ml',
  replyTo: { surface: 'test', channel: 'team-ml' },
};
// Neither entry point below reaches a service: the tool only echoes what it was given.
const services = {} as ToolServices;

function echoTool() {
  const seen: unknown[] = [];
  const tool = defineTool({
    name: 'pause',
    description: 'echoes its arguments',
    schema: z.object({ instance: z.string().regex(/^i-\d+$/), count: z.number().int().default(1) }),
    kind: 'quick',
    async confirmation(args) {
      seen.push(args);
      return `Echo ${args.instance} x${args.count}?`;
    },
    async run(args) {
      seen.push(args);
      return { text: `${args.instance} x${args.count}`, data: args };
    },
  });
  return { tool, seen };
}

describe('a tool called through the registry', () => {
  it('gives its definition the arguments its own schema parsed, defaults included', async () => {
    const { tool, seen } = echoTool();
    expect(await tool.confirmation?.({ instance: 'i-3' }, ctx, services)).toBe('Echo i-3 x1?');
    expect((await tool.run({ instance: 'i-3', count: 2 }, ctx, services)).text).toBe('i-3 x2');
    expect(seen).toEqual([
      { instance: 'i-3', count: 1 },
      { instance: 'i-3', count: 2 },
    ]);
  });

  it('refuses arguments its schema does not give with bad_input, before its definition runs', async () => {
    const { tool, seen } = echoTool();
    await expect(tool.run({ instance: 'three' }, ctx, services)).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/^pause was not run: .*instance/),
    });
    await expect(tool.confirmation?.({ count: 2 }, ctx, services)).rejects.toMatchObject({
      code: 'bad_input',
    });
    expect(seen).toEqual([]);
  });
});
