import { describe, expect, it } from 'vitest';
import { type Plan, planRequest } from '../../../src/agent/planner/index.ts';
import { TOOL_SCHEMAS } from '../../../src/tools/schemas.ts';

/** The offline planner's advisor phrasings: advice questions, "deploy it" and its alternatives. */

function calls(text: string): Extract<Plan, { kind: 'calls' }>['calls'] {
  const plan = planRequest(text);
  if (plan.kind !== 'calls') throw new Error(`expected calls for "${text}", got ${JSON.stringify(plan)}`);
  for (const call of plan.calls) expect(TOOL_SCHEMAS[call.tool].safeParse(call.args).success).toBe(true);
  return plan.calls;
}

function clarify(text: string): string {
  const plan = planRequest(text);
  if (plan.kind !== 'clarify') throw new Error(`expected clarify for "${text}", got ${JSON.stringify(plan)}`);
  return plan.message;
}

describe('advice questions in chat', () => {
  it.each([
    ['what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?', 'qwen2.5-72b'],
    ['cheapest GPU for Mistral-Nemo 12B in fp8', 'mistral-nemo-12b'],
    ['can a 3090 run Command-R 35B?', 'command-r-35b'],
    ['Stable Diffusion 3 medium', 'sd3-medium'],
    ['a 20B model in int4', '20B'],
    ['QLoRA on Llama 3.3 70B', 'llama-3.3-70b'],
    ['4090 or A100 for Llama 3 8B inference?', 'llama-3-8b'],
    ['is an H100 worth it over an A100?', 'llama-3.1-8b'],
    ['8x H100 enough for deepseek v3?', 'deepseek-v3'],
    ['recommend a gpu for llama 70b', 'llama-3.3-70b'],
  ])('turns "%s" into one recommend_gpu call for %s', (text, model) => {
    const planned = calls(text);
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({ tool: 'recommend_gpu', args: { model } });
  });

  it.each([
    ['can 2.5x 4090 run llama 70b', '"2.5x" is not a GPU count'],
    ['what do I need for llama 3 8b in Narnia?', 'I can\'t read "Narnia" as a place'],
    ['best gpu for llama 3 70b under $NaN/hr', '"$NaN/hr" is not a price'],
  ])(
    'asks back instead of answering another question when "%s" has a value it cannot read',
    (text, asked) => {
      expect(clarify(text)).toContain(asked);
    },
  );

  it.each(['what gpu for my model?', 'which gpu should I use for fine-tuning?', 'how much vram do I need?'])(
    'asks for the model or its size when "%s" names none',
    (text) => {
      expect(clarify(text)).toMatch(/which model is it\?.*parameters/i);
    },
  );

  it('asks for the size of a model it does not know', () => {
    const message = clarify('serve foobar-chat');
    expect(message).toContain('foobar-chat');
    expect(message).toMatch(/parameters/);
  });

  it('offers the real sizes when a family is named with one it does not have', () => {
    expect(clarify('serve llama 3 13b')).toMatch(/did you mean .*Llama 2 13B/i);
  });

  it.each([
    ['deploy a 4090', 'deploy'],
    ['cheapest 4090', 'search_offers'],
    ['deploy a 4090 for llama 3 8b', 'deploy'],
    ['cheapest 4090 for llama 3 8b', 'search_offers'],
    ['find and deploy a 4090', 'deploy'],
  ])('keeps "%s" a %s request', (text, tool) => {
    expect(calls(text).map((c) => c.tool)).toContain(tool);
    expect(calls(text).map((c) => c.tool)).not.toContain('recommend_gpu');
  });
});

describe('deploying the recommendation', () => {
  it.each([
    'deploy it',
    'deploy that',
    'rent it',
    'go with that',
    'deploy the recommendation',
    'launch the recommended one',
    'yes deploy it',
    'Yes, deploy it please!',
    "ok let's go with that",
    'take the top pick',
    'deploy the recommended option',
  ])('turns "%s" into deploy_recommendation', (text) => {
    expect(calls(text)).toEqual([{ tool: 'deploy_recommendation', args: {} }]);
  });

  it.each([
    ['deploy the 4090 option instead', 'rtx-4090'],
    ['deploy the alternative with A100 80GB', 'a100-80gb'],
    ['deploy the a100 80gb alternative', 'a100-80gb'],
    ['go with the 4090 instead', 'rtx-4090'],
    ['rent the H100 SXM option', 'h100-sxm'],
  ])('turns "%s" into the alternative on %s', (text, gpu) => {
    expect(calls(text)).toEqual([{ tool: 'deploy_recommendation', args: { instead_gpu: gpu } }]);
  });

  it.each([
    'deploy the cheaper one',
    'go with the cheapest option',
    "ok let's go with the cheaper one",
    'rent the cheapest one please',
  ])('turns "%s" into the cheapest of the last answer', (text) => {
    expect(calls(text)).toEqual([{ tool: 'deploy_recommendation', args: { cheapest: true } }]);
  });

  it('asks which alternative when none is named', () => {
    expect(clarify('deploy the alternative')).toMatch(/which alternative/i);
  });

  it('leaves a fresh deploy and a compound request alone', () => {
    expect(calls('deploy a 4090 instead')).toEqual([{ tool: 'deploy', args: { gpu: 'rtx-4090', count: 1 } }]);
    expect(calls('find a 4090 and deploy it').map((c) => c.tool)).toEqual(['search_offers', 'deploy']);
    expect(planRequest('start it').kind).not.toBe('calls');
  });
});
