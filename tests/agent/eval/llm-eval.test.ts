import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phrasing } from '../../../src/agent/eval/phrasings.ts';
import { runEval } from '../../../src/agent/eval/run-eval.ts';
import { LlmModel } from '../../../src/agent/llm-model.ts';
import { loadConfig } from '../../../src/config.ts';
import {
  type ChatRequest,
  type OpenAiStandIn,
  type ScriptedReply,
  startOpenAiStandIn,
} from '../../support/openai-stand-in.ts';

/**
 * A language model scored through the real LangChain/OpenAI client over HTTP, against a local
 * OpenAI-compatible server that answers each phrasing from a script: its nth reply to that text.
 */

const SET: Phrasing[] = [
  { text: 'list my instances', calls: [{ tool: 'list_instances', args: {} }] },
  { text: 'pause i-3', calls: [{ tool: 'pause', args: { instance: 'i-3' } }] },
  { text: 'cheapest 4090', calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', order: 'price' } }] },
  {
    text: 'find 2x H100 SXM in the US',
    calls: [{ tool: 'search_offers', args: { gpu: 'h100-sxm', count: 2, region: 'US' } }],
  },
  { text: 'deploy 2 4090s', calls: [{ tool: 'deploy', args: { gpu: 'rtx-4090', count: 2 } }] },
  { text: 'destroy i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] },
  { text: 'status of i-3', calls: [{ tool: 'instance_status', args: { instance: 'i-3' } }] },
];

const FIRST = { prompt_tokens: 900, completion_tokens: 20 };
const SECOND = { prompt_tokens: 1_000, completion_tokens: 30 };

/** The model's replies to each text, one per try. */
const SCRIPT: Record<string, ScriptedReply[]> = {
  // Right, in the model's own spellings: a GPU name, aliases, numbers as strings.
  'list my instances': [{ toolCalls: [{ name: 'list_instances', raw: '' }], usage: FIRST }],
  'pause i-3': [{ toolCalls: [{ name: 'pause', arguments: { instance_id: 'i-3' } }], usage: FIRST }],
  'cheapest 4090': [
    { toolCalls: [{ name: 'search_offers', arguments: { gpu: 'RTX 4090', order: 'price' } }], usage: FIRST },
  ],
  'find 2x H100 SXM in the US': [
    {
      toolCalls: [
        { name: 'search_offers', arguments: { gpu_name: 'H100 SXM', num_gpus: '2', region: 'US' } },
      ],
      usage: FIRST,
    },
  ],
  // A wrong argument.
  'deploy 2 4090s': [
    { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 4090', count: 3 } }], usage: FIRST },
  ],
  // The wrong tool.
  'destroy i-3': [{ toolCalls: [{ name: 'pause', arguments: { instance: 'i-3' } }], usage: FIRST }],
  // Broken JSON first, corrected once told.
  'status of i-3': [
    { toolCalls: [{ name: 'instance_status', raw: '{"instance": "i-3' }], usage: FIRST },
    { toolCalls: [{ name: 'instance_status', arguments: { instance: 'i-3' } }], usage: SECOND },
  ],
  // Never corrects a name the agent will not guess.
  'deploy a 4090 under 60 cents': [
    { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 4090', max_price: 0.6 } }], usage: FIRST },
  ],
};

function userText(request: ChatRequest): string {
  return String(request.messages.find((m) => m.role === 'user')!.content);
}

describe('gpuops eval on a language model', () => {
  let llm: OpenAiStandIn;
  let model: LlmModel;

  beforeAll(async () => {
    llm = await startOpenAiStandIn((request) => {
      const tries = SCRIPT[userText(request)] ?? [{ content: 'What do you mean?' }];
      const earlier = request.messages.filter((m) => m.role === 'assistant').length;
      return tries[Math.min(earlier, tries.length - 1)]!;
    });
    model = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'scripted-8b',
        GPUOPS_LLM_RETRIES: '0',
      }),
    );
  });
  afterAll(async () => {
    await llm?.close();
  });

  it('scores right tools, wrong arguments, wrong tools and a corrected call exactly', async () => {
    llm.requests.length = 0;
    const report = await runEval(model, SET, { concurrency: 3 });
    expect(report).toMatchObject({
      model: 'llm:scripted-8b',
      phrasings: 7,
      right_tool: 6,
      right_tool_pct: 85.7,
      right_args: 5,
      right_args_pct: 71.4,
      round_trips: { mean: 1.14, max: 2, corrected: 1 },
      tokens: {
        reported: true,
        input_total: 7 * 900 + 1_000,
        output_total: 7 * 20 + 30,
        input_mean: 1042.9,
        output_mean: 24.3,
      },
      errors: 0,
    });
    expect(report.per_tool).toEqual([
      {
        tool: 'search_offers',
        cases: 2,
        right_tool: 2,
        right_tool_pct: 100,
        right_args: 2,
        right_args_pct: 100,
      },
      {
        tool: 'list_instances',
        cases: 1,
        right_tool: 1,
        right_tool_pct: 100,
        right_args: 1,
        right_args_pct: 100,
      },
      {
        tool: 'instance_status',
        cases: 1,
        right_tool: 1,
        right_tool_pct: 100,
        right_args: 1,
        right_args_pct: 100,
      },
      { tool: 'deploy', cases: 1, right_tool: 1, right_tool_pct: 100, right_args: 0, right_args_pct: 0 },
      { tool: 'pause', cases: 1, right_tool: 1, right_tool_pct: 100, right_args: 1, right_args_pct: 100 },
      { tool: 'destroy', cases: 1, right_tool: 0, right_tool_pct: 0, right_args: 0, right_args_pct: 0 },
    ]);
    expect(report.failures).toEqual([
      {
        text: 'deploy 2 4090s',
        expected: [{ tool: 'deploy', args: { gpu: 'rtx-4090', count: 2 } }],
        got: [{ tool: 'deploy', args: { gpu: 'RTX 4090', count: 3 } }],
        round_trips: 1,
      },
      {
        text: 'destroy i-3',
        expected: [{ tool: 'destroy', args: { instance: 'i-3' } }],
        got: [{ tool: 'pause', args: { instance: 'i-3' } }],
        round_trips: 1,
      },
    ]);
    // Eight model calls: one per phrasing, and the correction, which was told what the agent says.
    expect(llm.requests).toHaveLength(8);
    const correction = llm.requests.find(
      (r) => userText(r) === 'status of i-3' && r.messages.some((m) => m.role === 'tool'),
    )!;
    expect(String(correction.messages.at(-1)!.content)).toMatch(
      /^Your call to instance_status was not run: its arguments are not a JSON object/,
    );
  });

  it('stops re-asking after three tries and lists the call the agent refused', async () => {
    llm.requests.length = 0;
    const report = await runEval(model, [
      {
        text: 'deploy a 4090 under 60 cents',
        calls: [{ tool: 'deploy', args: { gpu: 'rtx-4090', max_price_per_gpu_hour: 0.6 } }],
      },
    ]);
    expect(llm.requests).toHaveLength(3);
    expect(report).toMatchObject({
      right_tool: 1,
      right_args: 0,
      round_trips: { mean: 3, max: 3, corrected: 0 },
    });
    expect(report.failures[0]!.got).toEqual([
      {
        tool: 'deploy',
        args: { gpu: 'RTX 4090', max_price: 0.6 },
        error: expect.stringContaining('did you mean "max_price_per_gpu_hour"'),
      },
    ]);
    // The model heard the agent's own argument error each time.
    expect(String(llm.requests[1]!.messages.at(-1)!.content)).toContain(
      'deploy has no argument "max_price" (did you mean "max_price_per_gpu_hour"?)',
    );
  });

  it('runs no tool: nothing but the model is asked', async () => {
    llm.requests.length = 0;
    await runEval(model, SET.slice(0, 2));
    // Only the phrasings' own requests reached the server; a tool that ran would need services
    // this test never started (no database, queue or marketplace exists here).
    expect(llm.requests.map(userText)).toEqual(['list my instances', 'pause i-3']);
  });
});
