import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { toolDefinitions } from '../../src/agent/llm-model.ts';
import { selectTools } from '../../src/agent/tool-selection.ts';
import { TOOLS } from '../../src/tools/registry.ts';

/** Tokens of the tool definitions as they go out, counted with GPT-4o's tokenizer. */
const encoding = getEncoding('o200k_base');
const tokens = (text: string) => encoding.encode(JSON.stringify(toolDefinitions(selectTools(text)))).length;

describe('the tools offered to the model', () => {
  it.each([
    ['deploy a 4090 under 50 cents', 'deploy'],
    ['what GPUs are available under $0.40/hr?', 'search_offers'],
    ['what do I need to serve Llama 3.1 70B in 4-bit for 8 users?', 'recommend_gpu'],
    ['deploy it', 'deploy_recommendation'],
    ['pause i-3', 'pause'],
    ['destroy i-3', 'destroy'],
    ['wake up i-3', 'resume'],
    ['status of i-3', 'instance_status'],
    ['list my instances', 'list_instances'],
    ['hello there, what can you do?', 'deploy'],
    ['which model would fit a tight budget for fine-tuning?', 'recommend_gpu'],
  ])('for "%s" include %s and stay under 1,500 tokens', (text, tool) => {
    expect(selectTools(text).map((t) => t.name)).toContain(tool);
    expect(tokens(text)).toBeLessThan(1_500);
  });

  it('are fewer than all of them, so adding tools does not grow every request', () => {
    for (const text of ['deploy a 4090', 'pause i-3', 'list my instances', 'hello']) {
      expect(selectTools(text).length).toBeLessThan(TOOLS.length);
    }
  });
});
