import { describe, expect, it } from 'vitest';
import { planRequest } from '../../../src/agent/planner/index.ts';
import { GPU_CATALOG, resolveGpu } from '../../../src/cloud/gpu-catalog.ts';
import { createRng } from '../../../src/cloud/sim/prng.ts';
import { TOOL_SCHEMAS } from '../../../src/tools/schemas.ts';

/** Every way the catalog itself spells each model, plus the loose forms people type. */
function spellings(): string[] {
  const out = new Set<string>();
  for (const model of GPU_CATALOG) {
    for (const name of [model.id, model.displayName, model.marketName, ...model.aliases]) {
      out.add(name);
      out.add(name.toUpperCase());
    }
    out.add(model.displayName.replace(/\s+/g, '-'));
  }
  return [...out];
}

function gpuOf(text: string): string | undefined {
  const plan = planRequest(text);
  if (plan.kind !== 'calls') return undefined;
  const gpu = plan.calls[0]?.args.gpu;
  return typeof gpu === 'string' ? gpu : undefined;
}

describe('GPU ids the planner emits', () => {
  it('resolves every catalog id back to its own model', () => {
    for (const model of GPU_CATALOG) expect(resolveGpu(model.id)?.id).toBe(model.id);
  });

  it.each(spellings())('names the model resolveGpu finds for "%s", by an id that round-trips', (spelling) => {
    const expected = resolveGpu(spelling);
    expect(expected, `catalog spelling ${spelling}`).toBeDefined();
    const id = gpuOf(`cheapest ${spelling} under $5/hr`);
    expect(id).toBe(expected?.id);
    expect(resolveGpu(id ?? '')).toBe(expected);
  });

  it.each([
    ['4090', 'rtx-4090'],
    ['rtx4090', 'rtx-4090'],
    ['RTX-4090', 'rtx-4090'],
    ['geforce 4090', 'rtx-4090'],
    ['NVIDIA GeForce RTX 4090', 'rtx-4090'],
    ["4090's", 'rtx-4090'],
    ['A100 80G', 'a100-80gb'],
    ['a100-80gb', 'a100-80gb'],
    ['A100', 'a100-40gb'],
    ['h100 sxm', 'h100-sxm'],
    ['H100 SXM 80GB', 'h100-sxm'],
    ['h100', 'h100-pcie'],
    ['H200', 'h200'],
    ['l40s', 'l40s'],
    ['3090s', 'rtx-3090'],
    ['MI300X', 'mi300x'],
    ['AMD Instinct MI300X', 'mi300x'],
    ['a10g', 'a10g'],
    ['rtx 3090 ti', 'rtx-3090-ti'],
    ['RTX 4090 24GB', 'rtx-4090'],
  ])('reads the loose name "%s" as %s', (written, id) => {
    expect(gpuOf(`deploy a ${written}`)).toBe(id);
    expect(resolveGpu(id)?.id).toBe(id);
  });

  it('keeps every emitted id resolvable across 500 generated requests', () => {
    const random = createRng(7).next;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const names = spellings();
    const verbs = ['deploy', 'find', 'rent', 'show me', 'cheapest', 'spin up', 'any'];
    const counts = ['', '2x ', 'two ', 'a pair of ', '4 x ', 'single '];
    const extras = [
      '',
      'under $0.5/hr',
      'in Europe',
      'with pytorch',
      'below 2 dollars in the US',
      'with 200gb disk',
    ];
    let planned = 0;
    for (let i = 0; i < 500; i++) {
      const text = `${pick(verbs)} ${pick(counts)}${pick(names)} ${pick(extras)}`;
      const plan = planRequest(text);
      if (plan.kind !== 'calls') continue;
      planned++;
      for (const call of plan.calls) {
        expect(TOOL_SCHEMAS[call.tool].safeParse(call.args).success, text).toBe(true);
        const gpu = call.args.gpu;
        if (typeof gpu === 'string') expect(resolveGpu(gpu)?.id, text).toBe(gpu);
      }
    }
    expect(planned).toBeGreaterThan(450);
  });
});
