import { describe, expect, it } from 'vitest';
import { capabilities, notUnderstood } from '../../../src/agent/help.ts';
import { planRequest } from '../../../src/agent/planner/index.ts';

function answer(text: string): string {
  const plan = planRequest(text);
  if (plan.kind !== 'unknown') throw new Error(`expected an answer, not ${JSON.stringify(plan)}`);
  return plan.message;
}

// Jobs (issue #18) are no longer among them: tests/agent/planner/job-phrasings.test.ts reads them.
describe('requests for what gpuops cannot do yet', () => {
  it.each([
    'serve Llama 3 8B behind an API',
    'give me an OpenAI endpoint for Qwen',
    'host mistral 7b as an api for my team',
    'serve Qwen2.5-7B-Instruct with vLLM',
    'host llama 3 8b with ollama',
    'serve llama 3 8b on i-3',
    'spin up a vllm server for qwen 2.5 7b',
    'start serving llama 3 8b',
    'put mistral 7b behind vllm on i-3',
  ])('says plainly that "%s" is a model endpoint it cannot serve yet', (text) => {
    expect(answer(text)).toMatch(
      /^gpuops can't serve models behind an endpoint yet \(.+\).*what it can do:/s,
    );
  });

  it.each([
    ['what GPU do I need to serve Llama 3 8B?', 'recommend_gpu'],
    ['serve llama 3 8b for 8 users', 'recommend_gpu'],
    ['which gpu should I rent to run my training script for a 7b model?', 'recommend_gpu'],
    ['serve llama 3 8b on a 4090', 'recommend_gpu'],
    ['fine-tune llama 3 8b on a 4090', 'recommend_gpu'],
    ['I want to serve llama 3 8b with vllm, which gpu?', 'recommend_gpu'],
    ['deploy a 4090 with vllm', 'deploy'],
    ['set up an 8x H100 SXM node in the US with vllm', 'deploy'],
    ['restart i-3', 'resume'],
  ])('still answers the advice question "%s" with %s', (text, tool) => {
    expect(planRequest(text)).toMatchObject({ kind: 'calls', calls: [{ tool }] });
  });
});

describe('the "not understood" answer', () => {
  it('is one answer, from the help, naming what gpuops can do', () => {
    expect(answer('colorless green ideas sleep furiously')).toBe(notUnderstood());
    expect(notUnderstood()).toContain(capabilities());
  });

  it('names every kind of tool gpuops has', () => {
    for (const can of [
      'search GPU offers',
      'deploy',
      'pause',
      'snapshot and restore',
      'failover',
      'hibernate',
      'standby',
      'recommend a GPU',
    ])
      expect(capabilities()).toContain(can);
  });

  it.each([
    ['restore i-3 from yesterday', 'restore'],
    ['snapshot i-42 every other tuesday', 'snapshot'],
    ['back up everything somewhere', 'back up'],
    ['fail over all of it somehow', 'fail over'],
  ])('never says it cannot do what it can: "%s"', (text, act) => {
    const message = answer(text);
    expect(message).not.toMatch(new RegExp(`can't "?${act}`, 'i'));
    expect(message).not.toMatch(/I can't "/);
    // It says how to ask instead, with the act among what it can do.
    expect(message).toMatch(/snapshot i-3|fail over i-3/);
  });

  it('says what it cannot do yet when it truly cannot', () => {
    expect(answer('clone i-42')).toMatch(/can't clone or resize an instance yet/);
    expect(answer('show me the bill for last month')).toMatch(/can't show billing or spend yet/);
  });
});
