import { describe, expect, it } from 'vitest';
import { DECLARATIONS, DECLARED } from '../../../src/agent/planner/declarations/index.ts';
import { selectTools } from '../../../src/agent/tool-selection.ts';
import { TOOL_SCHEMAS } from '../../../src/tools/schemas.ts';

describe('the tool declarations', () => {
  it('declare every tool once, each under its own name', () => {
    expect(Object.keys(DECLARATIONS).sort()).toEqual(Object.keys(TOOL_SCHEMAS).sort());
    for (const [tool, declaration] of Object.entries(DECLARATIONS)) expect(declaration.tool).toBe(tool);
  });

  it('give every tool a way in: scored, read whole, or both', () => {
    const unread = DECLARED.filter((d) => d.reading === undefined && d.whole === undefined).map(
      (d) => d.tool,
    );
    expect(unread).toEqual([]);
  });

  it('give every tool an example, but the one that deploys what an earlier answer recommended', () => {
    const without = DECLARED.filter((d) => d.examples.length === 0).map((d) => d.tool);
    expect(without).toEqual(['deploy_recommendation']);
  });

  it('keep each example with the tool of its first call', () => {
    for (const declaration of DECLARED) {
      for (const example of declaration.examples) expect(example.calls[0]?.tool).toBe(declaration.tool);
    }
  });

  it('name only other tools as neighbours', () => {
    for (const declaration of DECLARED) expect(declaration.neighbours).not.toContain(declaration.tool);
  });

  it('try whole-request readers in an order with no ties', () => {
    const orders = DECLARED.flatMap((d) => (d.whole ? [d.whole.order] : []));
    expect(new Set(orders).size).toBe(orders.length);
  });

  it('offer a model the tools whose topic a request it cannot place talks about', () => {
    const names = selectTools('why does auto-pause keep firing on my box?').map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['auto_pause', 'stop_auto_pause', 'keep_running']));
    expect(names).not.toContain('deploy');
  });
});

describe('the declarations beside the tool schemas', () => {
  it('hold every tool, and the planner joins its readings to them by tool name', async () => {
    const { DECLARATIONS: DATA } = await import('../../../src/tools/declarations/index.ts');
    expect(Object.keys(DATA).sort()).toEqual(Object.keys(TOOL_SCHEMAS).sort());
    for (const [tool, data] of Object.entries(DATA)) {
      const joined = DECLARATIONS[tool as keyof typeof DATA];
      expect(joined.examples).toBe(data.examples);
      expect(joined.can).toBe(data.can);
    }
  });

  it('import nothing from the agent: imports point down', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const folder = new URL('../../../src/tools/declarations/', import.meta.url);
    for (const file of readdirSync(folder)) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      expect(source, file).not.toMatch(/from\s+'[^']*\/agent\//);
    }
  });
});
