import { afterEach, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import { LlmModel } from '../../src/agent/llm-model.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';

describe('the LLM path', () => {
  let llm: OpenAiStandIn | undefined;
  let g: TestGpuops | undefined;
  afterEach(async () => {
    await g?.close();
    await llm?.close();
    g = undefined;
    llm = undefined;
  });

  it('deploys through tool calls that an OpenAI-compatible server sends over HTTP', async () => {
    llm = await startOpenAiStandIn((request) => {
      const last = request.messages.at(-1)!;
      if (last.role === 'user') {
        return {
          toolCalls: [
            { name: 'deploy', arguments: { gpu: 'RTX 4090', count: 1, max_price_per_gpu_hour: 0.6 } },
          ],
        };
      }
      return { content: 'Your RTX 4090 is on its way; progress is below.' };
    });
    const model = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'local-model',
      }),
    );
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', model });

    const handled = await g.say('I need a 4090 for an hour, nothing fancy');

    expect(handled.calls).toEqual([
      { tool: 'deploy', args: { gpu: 'RTX 4090', count: 1, max_price_per_gpu_hour: 0.6 } },
    ]);
    // The model saw the tools this request needs, each with its JSON schema, and got the tool's
    // result back.
    const tools = llm.requests[0]!.tools!.map((t) => t.function.name).sort();
    expect(tools).toEqual(['deploy', 'instance_status', 'list_instances', 'search_offers']);
    const deploySchema = llm.requests[0]!.tools!.find((t) => t.function.name === 'deploy')!.function
      .parameters;
    expect(deploySchema).toMatchObject({ type: 'object', required: expect.arrayContaining(['gpu']) });
    expect(
      llm.requests[1]!.messages.some(
        (m) => m.role === 'tool' && String(m.content).includes('Deploying 1x RTX 4090'),
      ),
    ).toBe(true);
    expect(g.surface.posts('reply')).toContain('Your RTX 4090 is on its way; progress is below.');

    const final = g.surface.versionsOf(g.surface.progressRefs()[0]!).at(-1)!.progress!;
    expect(final.state).toBe('succeeded');
    const row = await getInstance(g.runtime.database.db, Number(final.result!.instance.slice(2)));
    expect(row).toMatchObject({ state: 'running', gpu_name: 'RTX 4090' });
  });

  it('answers a GPU question through recommend_gpu with the arguments the model chose', async () => {
    llm = await startOpenAiStandIn((request) =>
      request.messages.at(-1)!.role === 'user'
        ? {
            toolCalls: [
              {
                name: 'recommend_gpu',
                arguments: {
                  model: 'Llama 3.1 70B Instruct',
                  precision: 'awq',
                  concurrent_users: 4,
                  context_tokens: 16384,
                },
              },
            ],
          }
        : { content: 'The pick above is the cheapest per token; say "deploy it" to rent it.' },
    );
    const model = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'local-model',
      }),
    );
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres', model });
    await g.say('I want to host llama 3.1 70b for a few people with long prompts, what should I get?');
    const answer = g.surface.posts('reply').join('\n');
    expect(answer).toContain('Llama 3.1 70B');
    expect(answer).toMatch(/awq · 16,384 tokens × 4 concurrent/);
    expect(answer).toContain('Pick: ');
    // The model was given the advice (memory and pick) to talk about, without the bulky fit table.
    const toolMessage = String(llm.requests[1]!.messages.find((m) => m.role === 'tool')?.content);
    expect(toolMessage).toMatch(/Memory: [\d.]+ GB/);
    expect(toolMessage).toContain('Pick: ');
    expect(toolMessage.length).toBeLessThan(6_000);
  });

  it("sends invalid arguments back to the model to correct, runs nothing, and shows the model's answer", async () => {
    llm = await startOpenAiStandIn((request) =>
      request.messages.at(-1)!.role === 'user'
        ? { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 4090', count: 40 } }] }
        : { content: 'One machine has at most 16 GPUs; how many do you need?' },
    );
    const model = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'local-model',
      }),
    );
    g = await startTestGpuops({ db: 'postgres', queue: 'redis', model });

    const handled = await g.say('give me forty 4090s in one box');
    expect(handled.calls).toEqual([]);
    expect(g.surface.progressRefs()).toHaveLength(0);
    const toolMessage = llm.requests[1]!.messages.find((m) => m.role === 'tool')!;
    expect(String(toolMessage.content)).toMatch(/deploy was not run: count: .*16/);
    expect(g.surface.errors()).toEqual([]);
    expect(g.surface.posts('reply')).toContain('One machine has at most 16 GPUs; how many do you need?');
  });

  it('tells the user what to do when the model endpoint is down', async () => {
    const model = new LlmModel(
      loadConfig({
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_TIMEOUT_MS: '2000',
        GPUOPS_LLM_RETRIES: '0',
      }),
    );
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres', model });
    await g.say('list my instances');
    const [error] = g.surface.errors();
    expect(error!.code).toBe('llm_unavailable');
    expect(error!.text).toContain('GPUOPS_OFFLINE');
    expect(error!.text).not.toContain('sk-local');
  });
});
