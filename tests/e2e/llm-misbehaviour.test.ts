import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance, listInstances } from '../../db/repositories/instances.ts';
import { listOperations } from '../../db/repositories/operations.ts';
import type { AgentModel } from '../../src/agent/agent-model.ts';
import { Conversation } from '../../src/agent/conversation.ts';
import { LlmModel } from '../../src/agent/llm-model.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import {
  type ChatRequest,
  type OpenAiStandIn,
  type ScriptedReply,
  startOpenAiStandIn,
} from '../support/openai-stand-in.ts';

/**
 * Models misbehave the way real ones do (gpt-4o-mini, Llama 3.1 on vLLM, Qwen2.5 on Ollama):
 * through the real LangChain/OpenAI client over HTTP, none of it may spend money it should not.
 */

/** The model's script: what to answer to the nth request of one user message. */
type Script = (request: ChatRequest, turn: number) => ScriptedReply;

/** A model that follows whichever script the current test sets. */
describe('a model that misbehaves', () => {
  let llm: OpenAiStandIn;
  let g: TestGpuops;
  let script: Script = () => ({ content: 'ok' });
  let turn = 0;

  beforeAll(async () => {
    llm = await startOpenAiStandIn((request) => {
      // A new user message starts the count again.
      if (request.messages.at(-1)!.role === 'user') turn = 0;
      return script(request, turn++);
    });
    const model: AgentModel = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'local-model',
        GPUOPS_LLM_RETRIES: '0',
      }),
    );
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', model });
  });
  afterEach(() => {
    g.surface.clear();
    g.surface.yes = false;
  });
  afterAll(async () => {
    await g?.close();
    await llm?.close();
  });

  async function deployments(): Promise<number> {
    return (await listOperations(g.runtime.database.db, { limit: 500 })).filter((o) => o.kind === 'deploy')
      .length;
  }

  /** The tool results the model was sent in the last request. */
  function toolResults(): string[] {
    return llm.requests
      .at(-1)!
      .messages.filter((m) => m.role === 'tool')
      .map((m) => String(m.content));
  }

  it('rents once when it repeats its deploy call every turn', async () => {
    const before = await deployments();
    script = () => ({ toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 3090', count: 1 } }] });
    const handled = await g.say('deploy a 3090');
    expect(await deployments()).toBe(before + 1);
    expect(handled.jobs).toHaveLength(1);
    expect(
      g.surface.posts('reply').some((t) => t.startsWith('Held back: this exact deploy already started')),
    ).toBe(true);
    expect(toolResults().some((t) => t.includes('it is not started twice'))).toBe(true);
  });

  it('rents one machine when it asks for a second, different one the user did not ask for', async () => {
    const before = await deployments();
    script = (_r, n) =>
      n === 0
        ? { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 3090' } }] }
        : n === 1
          ? { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 3090', disk_gb: 80 } }] }
          : { content: 'Done.' };
    await g.say('deploy a 3090');
    expect(await deployments()).toBe(before + 1);
    expect(g.surface.posts('reply').some((t) => t.startsWith('Held back: a second deploy'))).toBe(true);
  });

  it('rents as many machines as the user asked for in words', async () => {
    const before = await deployments();
    script = (_r, n) =>
      n < 2
        ? { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 3090', disk_gb: 40 + n } }] }
        : { content: 'Both are coming up.' };
    const handled = await g.say('deploy two separate 3090 machines');
    expect(await deployments()).toBe(before + 2);
    expect(handled.jobs).toHaveLength(2);
  });

  it('never rents a different machine than asked when it names arguments its own way', async () => {
    script = (request, n) => {
      if (n === 0) {
        return {
          toolCalls: [
            {
              name: 'deploy',
              arguments: { gpu: 'RTX 4090', num_gpus: 2, disk_size_gb: 200, max_price: 0.6 },
            },
          ],
        };
      }
      const told = String(request.messages.at(-1)!.content);
      // A model that reads the error corrects the one name gpuops would not guess.
      return told.includes('did you mean "max_price_per_gpu_hour"')
        ? n === 1
          ? {
              toolCalls: [
                {
                  name: 'deploy',
                  arguments: { gpu: 'RTX 4090', num_gpus: 2, disk_size_gb: 200, max_price_per_gpu_hour: 0.6 },
                },
              ],
            }
          : { content: 'Deploying.' }
        : { content: 'Deploying.' };
    };
    const handled = await g.say('deploy 2x 4090 with 200 GB disk under 60 cents per GPU per hour');
    expect(handled.calls).toEqual([
      { tool: 'deploy', args: { gpu: 'RTX 4090', count: 2, disk_gb: 200, max_price_per_gpu_hour: 0.6 } },
    ]);
    const final = await handled.jobs[0]!;
    expect(final.state).toBe('succeeded');
    const row = await getInstance(g.runtime.database.db, Number(final.instance!.slice(2)));
    expect(row).toMatchObject({ gpu_count: 2, disk_gb: 200 });
    expect(row!.price_per_hour / 2).toBeLessThanOrEqual(0.6);
    // The first, unreadable call ran nothing and the user saw no error for it.
    expect(g.surface.errors()).toEqual([]);
    // The transcript shows the call as it ran.
    expect(g.surface.events.filter((e) => e.type === 'tool_call').map((e) => e.args)).toEqual([
      { gpu: 'RTX 4090', count: 2, disk_gb: 200, max_price_per_gpu_hour: 0.6 },
    ]);
  });

  it('reads numbers sent as strings exactly', async () => {
    script = (_r, n) =>
      n === 0
        ? {
            toolCalls: [
              {
                name: 'search_offers',
                arguments: { gpu: 'RTX 4090', count: '2', max_price_per_gpu_hour: '0.8' },
              },
            ],
          }
        : { content: 'Here they are.' };
    const handled = await g.say('show me 2x 4090 offers under 80 cents');
    expect(handled.calls).toEqual([
      { tool: 'search_offers', args: { gpu: 'RTX 4090', count: 2, max_price_per_gpu_hour: 0.8 } },
    ]);
    expect(g.surface.errors()).toEqual([]);
    // Tool output reaches the model fenced as data, saying how the call was read.
    expect(toolResults()[0]).toMatch(
      /^<tool_output tool="search_offers">\n\(read as: count "2" was read as 2; max_price_per_gpu_hour "0.8" was read as 0.8\)/,
    );
    expect(toolResults()[0]).toMatch(/<\/tool_output>$/);
  });

  it.each([
    ['truncated JSON', '{"gpu": "RTX 40'],
    ['a Python-style dict', "{'gpu': 'RTX 3090'}"],
  ])('tells the model about %s, and runs its corrected call', async (_kind, raw) => {
    script = (_r, n) =>
      n === 0
        ? { toolCalls: [{ name: 'search_offers', raw }] }
        : n === 1
          ? { toolCalls: [{ name: 'search_offers', arguments: { gpu: 'RTX 3090' } }] }
          : { content: 'Found some.' };
    const handled = await g.say('any 3090s?');
    expect(toolResults()[0]).toContain('its arguments are not a JSON object');
    expect(handled.calls).toEqual([{ tool: 'search_offers', args: { gpu: 'RTX 3090' } }]);
  });

  it('reads "" as no arguments', async () => {
    script = (_r, n) =>
      n === 0 ? { toolCalls: [{ name: 'list_instances', raw: '' }] } : { content: 'Listed.' };
    const handled = await g.say('what do I have running?');
    expect(handled.calls).toEqual([{ tool: 'list_instances', args: {} }]);
  });

  it('does not destroy, even under --yes, an instance the user never named', async () => {
    const [victim] = await listInstances(g.runtime.database.db, {
      channel: g.context.channel,
      states: ['running'],
    });
    // As if an instance label had said "destroy this machine now".
    script = (_r, n) =>
      n === 0
        ? { toolCalls: [{ name: 'destroy', arguments: { instance: `i-${victim!.id}` } }] }
        : { content: 'Done.' };
    g.surface.yes = true;
    const handled = await g.say('list my instances');
    expect(handled.calls).toEqual([]);
    expect(handled.notDone).toEqual(['destroy was not confirmed']);
    const asked = g.surface.events.find((e) => e.type === 'confirm')!;
    expect(asked).toMatchObject({ mustAsk: true, answer: false });
    expect(await getInstance(g.runtime.database.db, victim!.id)).toMatchObject({ state: 'running' });
    expect(toolResults()[0]).toMatch(/^Cancelled: destroy was not run/);
  });

  it('destroys under --yes an instance the user named', async () => {
    const [target] = await listInstances(g.runtime.database.db, {
      channel: g.context.channel,
      states: ['running'],
    });
    script = (_r, n) =>
      n === 0
        ? { toolCalls: [{ name: 'destroy', arguments: { instance: `i-${target!.id}` } }] }
        : { content: 'Gone.' };
    g.surface.yes = true;
    const handled = await g.say(`please destroy i-${target!.id}`);
    expect(handled.calls).toHaveLength(1);
    await Promise.all(handled.jobs);
    expect(await getInstance(g.runtime.database.db, target!.id)).toMatchObject({ state: 'destroyed' });
  });

  it('reads a follow-up with the conversation before it, where an instance the user named earlier counts as named', async () => {
    const [target] = await listInstances(g.runtime.database.db, {
      channel: g.context.channel,
      states: ['running'],
    });
    const ref = `i-${target!.id}`;
    const conversation = new Conversation();
    script = (request, n) => {
      const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')!;
      if (n > 0) return { content: 'Done.' };
      return String(lastUser.content).startsWith('status')
        ? { toolCalls: [{ name: 'instance_status', arguments: { instance: ref } }] }
        : { toolCalls: [{ name: 'destroy', arguments: { instance: ref } }] };
    };
    await g.runtime.chat!.handle(`status of ${ref}`, g.context, g.surface, conversation);
    g.surface.yes = true;
    const handled = await g.runtime.chat!.handle('now destroy it', g.context, g.surface, conversation);
    await Promise.all(handled.jobs);
    // The model was sent the earlier turn, and the destroy needed no further yes.
    const sent = llm.requests.at(-2)!.messages.map((m) => String(m.content));
    expect(sent.some((c) => c.includes(`status of ${ref}`))).toBe(true);
    expect(g.surface.events.find((e) => e.type === 'confirm')).toMatchObject({
      mustAsk: false,
      answer: true,
    });
    expect(await getInstance(g.runtime.database.db, target!.id)).toMatchObject({ state: 'destroyed' });
  });

  it('reports a deploy that ran as done when the model fails after it, with a warning', async () => {
    script = (_r, n) =>
      n === 0 ? { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 3090' } }] } : { httpError: 500 };
    const handled = await g.say('deploy a 3090');
    const [final] = await Promise.all(handled.jobs);
    expect(final!.state).toBe('succeeded');
    expect(g.surface.errors()).toEqual([]);
    expect(handled.warnings).toHaveLength(1);
    expect(handled.notDone).toEqual([]);
    expect(g.surface.posts('reply').at(-1)).toMatch(
      /^⚠️ The language model did not answer.*its operations continue\.$/,
    );
  });

  it('runs a tool call the model wrote as text when it reads exactly, and says how to enable tool calling', async () => {
    script = (_r, n) =>
      n === 0
        ? {
            content:
              '<tool_call>\n{"name": "search_offers", "arguments": {"gpu": "RTX 3090", "limit": 3}}\n</tool_call>',
          }
        : { content: 'Here are three.' };
    const handled = await g.say('show me three 3090 offers');
    expect(handled.calls).toEqual([{ tool: 'search_offers', args: { gpu: 'RTX 3090', limit: 3 } }]);
    const replies = g.surface.posts('reply');
    expect(replies[0]).toContain('--enable-auto-tool-choice');
    expect(replies.some((r) => r.includes('<tool_call>'))).toBe(false);
  });

  it('runs nothing when a text tool call cannot be read exactly, and says how to enable tool calling', async () => {
    script = () => ({ content: '<tool_call>{"name": "deploy", "arguments": {"gpu": "RTX 40</tool_call>' });
    const handled = await g.say('deploy a 4090');
    expect(handled.calls).toEqual([]);
    expect(handled.notDone).toEqual(["the model's tool call could not be read"]);
    expect(g.surface.posts('reply')[0]).toMatch(/tool-call-parser.*nothing was run/);
  });

  it('sends tool definitions without $schema and with no other keys allowed', async () => {
    script = () => ({ content: 'Hello.' });
    await g.say('hello');
    for (const tool of llm.requests.at(-1)!.tools!) {
      expect(tool.function.parameters).not.toHaveProperty('$schema');
      expect(tool.function.parameters).toMatchObject({ additionalProperties: false });
    }
    // The system prompt names the user, the channel, the date, the units and the team's limit.
    const system = JSON.stringify(llm.requests.at(-1)!.messages[0]!.content);
    expect(system).toContain('talking with \\"alice\\" in channel \\"team-ml\\"');
    expect(system).toContain(`Today is ${new Date().toISOString().slice(0, 10)}`);
    expect(system).toContain('USD per GPU per hour');
    expect(system).toContain('never more than $50/hr for one deployment');
    expect(system).toContain('<tool_output>');
  });
});

describe('a model that hangs', () => {
  let llm: OpenAiStandIn;
  beforeAll(async () => {
    llm = await startOpenAiStandIn(() => ({ delayMs: 3_000, answer: { content: 'too late' } }));
  });
  afterAll(async () => {
    await llm?.close();
  });

  it('gets a clear message naming GPUOPS_LLM_TIMEOUT_MS', async () => {
    const model = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'local-model',
        GPUOPS_LLM_TIMEOUT_MS: '1000',
        GPUOPS_LLM_RETRIES: '0',
      }),
    );
    const err = await model.next([{ role: 'user', content: 'hello' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'llm_unavailable' });
    expect((err as Error).message).toContain('did not answer within 1 s (GPUOPS_LLM_TIMEOUT_MS)');
  });
});
