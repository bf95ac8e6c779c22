/**
 * What one request costs the agent in model tokens and round trips, with every tool registered:
 *
 * - the system prompt and the tool definitions, counted apart with o200k_base (the encoding of
 *   gpt-4o and gpt-4o-mini), for all tools at once and for the per-request selection
 *   (src/agent/tool-selection.ts) over the phrasing set of `gpuops eval`. Definitions are counted
 *   as the JSON sent on the wire; a provider that renders them its own way counts a little
 *   differently, but the proportions hold;
 * - the round trips of a one-tool request ("list my instances") through the whole agent against
 *   the local OpenAI-compatible stand-in, with a gpuops on PGlite and the Postgres queue (goal: 2,
 *   the tool call and then the answer);
 * - `gpuops eval` on the offline planner: its score and time per request.
 *
 *   npx tsx bench/agent-tokens-bench.ts
 */
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { PHRASINGS } from '../src/agent/eval/phrasings.ts';
import { runEval } from '../src/agent/eval/run-eval.ts';
import { LlmModel, toolDefinitions } from '../src/agent/llm-model.ts';
import { OfflineModel } from '../src/agent/offline-model.ts';
import { selectTools } from '../src/agent/tool-selection.ts';
import { loadConfig } from '../src/config.ts';
import { TOOLS } from '../src/tools/registry.ts';
import type { Tool } from '../src/tools/tool.ts';
import { startTestGpuops } from '../tests/support/gpuops-harness.ts';
import { startOpenAiStandIn } from '../tests/support/openai-stand-in.ts';

const encoding = new Tiktoken(o200kBase);
const tokens = (text: string): number => encoding.encode(text).length;
const definitionTokens = (tools: readonly Tool[]): number => tokens(JSON.stringify(toolDefinitions(tools)));

// Tool definitions: all at once, each, and as selected per request.
const allTools = definitionTokens(TOOLS);
const perTool = TOOLS.map((tool) => ({ tool: tool.name, tokens: definitionTokens([tool]) }));
const selected = PHRASINGS.map((p) => {
  const tools = selectTools(p.text);
  return { tools: tools.length, tokens: definitionTokens(tools) };
});
const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
const selectedMean = Math.round(mean(selected.map((s) => s.tokens)));
const selectedMax = Math.max(...selected.map((s) => s.tokens));
const selectedToolsMean = Math.round(mean(selected.map((s) => s.tools)) * 10) / 10;

// One request through the whole agent: the stand-in calls list_instances, then answers.
const llm = await startOpenAiStandIn((request) =>
  request.messages.at(-1)?.role === 'user'
    ? { toolCalls: [{ name: 'list_instances', arguments: {} }] }
    : { content: 'You have no instances running.' },
);
const model = new LlmModel(
  loadConfig({
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_API_KEY: 'sk-local',
    GPUOPS_LLM_MODEL: 'gpt-4o-mini',
    GPUOPS_LLM_RETRIES: '0',
  }),
);
const g = await startTestGpuops({ db: 'pglite', queue: 'postgres', model });
let roundTrips: number;
let systemPrompt: number;
let requestTools: number;
let requestToolCount: number;
try {
  const handled = await g.say('list my instances');
  if (handled.calls.length !== 1 || handled.calls[0]!.tool !== 'list_instances') {
    throw new Error(`expected one list_instances call, got ${JSON.stringify(handled.calls)}`);
  }
  roundTrips = llm.requests.length;
  const first = llm.requests[0]!;
  const system = first.messages.find((m) => m.role === 'system');
  systemPrompt = tokens(
    typeof system?.content === 'string' ? system.content : JSON.stringify(system?.content),
  );
  requestTools = tokens(JSON.stringify(first.tools ?? []));
  requestToolCount = first.tools?.length ?? 0;
} finally {
  await g.close();
  await llm.close();
}

// `gpuops eval` on the offline planner: a warm-up run, then the run measured, one at a time.
await runEval(new OfflineModel(), PHRASINGS, { concurrency: 1 });
const report = await runEval(new OfflineModel(), PHRASINGS, { concurrency: 1 });

console.log(`agent tokens (o200k_base), ${TOOLS.length} tools registered:`);
console.log(`  system prompt (as sent, with the user, channel, date and limit): ${systemPrompt} tokens`);
console.log(`  tool definitions, all ${TOOLS.length}: ${allTools} tokens`);
console.log(`    ${perTool.map((t) => `${t.tool} ${t.tokens}`).join(', ')}`);
console.log(
  `  tool definitions as selected per request over ${PHRASINGS.length} phrasings: mean ${selectedMean} (${selectedToolsMean} tools), max ${selectedMax} tokens`,
);
console.log(
  `  "list my instances": ${requestToolCount} tools sent, ${requestTools} tokens of definitions; ${roundTrips} round trips (goal 2)`,
);
console.log(
  `gpuops eval, offline planner: ${report.right_args}/${report.phrasings} right tool and arguments (${report.right_args_pct}%), right tool ${report.right_tool_pct}%; latency per request mean ${report.latency_ms.mean} ms, p95 ${report.latency_ms.p95} ms, max ${report.latency_ms.max} ms`,
);
console.log(`  per tool: ${report.per_tool.map((t) => `${t.tool} ${t.right_args}/${t.cases}`).join(', ')}`);
console.log(
  JSON.stringify({
    bench: 'agent-tokens',
    tools: TOOLS.length,
    system_prompt_tokens: systemPrompt,
    tool_definitions_tokens_all: allTools,
    tool_definitions_tokens_selected_mean: selectedMean,
    tool_definitions_tokens_selected_max: selectedMax,
    tools_selected_mean: selectedToolsMean,
    one_tool_request_round_trips: roundTrips,
    eval_offline: {
      phrasings: report.phrasings,
      right_tool_pct: report.right_tool_pct,
      right_args_pct: report.right_args_pct,
      latency_ms_mean: report.latency_ms.mean,
      latency_ms_p95: report.latency_ms.p95,
    },
  }),
);
process.exit(roundTrips === 2 && report.right_args === report.phrasings ? 0 : 1);
