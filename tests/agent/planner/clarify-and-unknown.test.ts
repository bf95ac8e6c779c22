import { describe, expect, it } from 'vitest';
import { EXAMPLE_REQUESTS, type Plan, planRequest } from '../../../src/agent/planner/index.ts';

function clarify(text: string): string {
  const plan = planRequest(text);
  if (plan.kind !== 'clarify') throw new Error(`expected clarify for "${text}", got ${JSON.stringify(plan)}`);
  return plan.message;
}

function unknown(text: string): string {
  const plan = planRequest(text);
  if (plan.kind !== 'unknown') throw new Error(`expected unknown for "${text}", got ${JSON.stringify(plan)}`);
  return plan.message;
}

function exampleCount(message: string): number {
  return EXAMPLE_REQUESTS.filter((example) => message.includes(example)).length;
}

describe('help', () => {
  it.each(['help', 'HELP!', 'what can you do?', '?', '??', '@gpuops help', 'how do I use this', 'commands'])(
    'answers "%s" with help',
    (text) => {
      expect(planRequest(text)).toEqual<Plan>({ kind: 'help' });
    },
  );

  it('does not treat "help me deploy a 4090" as a help request', () => {
    expect(planRequest('help me deploy a 4090').kind).toBe('calls');
  });
});

describe('questions back to the user', () => {
  it('suggests known GPUs for an unknown one in a deploy', () => {
    const message = clarify('deploy an rtx 9090');
    expect(message).toContain('rtx 9090');
    expect(message).toMatch(/did you mean .*RTX 4090/i);
  });

  it('suggests known GPUs for an unknown one in a search', () => {
    const message = clarify('show me a200 offers under $2/hr');
    expect(message).toContain('a200');
    expect(message).toMatch(/did you mean/i);
  });

  it('asks about a model outside the catalog rather than dropping it', () => {
    expect(clarify('rtx 5070 offers')).toContain('rtx 5070');
    expect(clarify('cheapest h20')).toContain('h20');
  });

  it.each([
    ['deploy a 4090 under -5 dollars', /more than \$0/],
    ['4090 under $0/hr', /more than \$0/],
    ['cheapest 4090 under $-2', /more than \$0/],
    ['4090 under $5000/hr', /\$1000/],
    ['deploy a 4090 under 5000 dollars', /\$1000/],
  ])('explains why the price in "%s" is not usable', (text, reason) => {
    expect(clarify(text)).toMatch(reason);
  });

  it('asks for dollars when a price is in another currency', () => {
    expect(clarify('4090 under 50 eur')).toMatch(/US dollars/);
  });

  it.each(['deploy 32x h100', 'deploy 20 gpus of 4090', 'find 17 4090s'])(
    'refuses more than 16 GPUs in one machine for "%s"',
    (text) => {
      expect(clarify(text)).toMatch(/at most 16 GPUs/);
    },
  );

  it('refuses zero GPUs', () => {
    expect(clarify('deploy 0 4090s')).toMatch(/1 to 16/);
  });

  it('refuses a disk outside the schema range', () => {
    expect(clarify('deploy a 4090 with 50tb disk')).toMatch(/1 to 20,000 GB/);
  });

  it.each([
    ['pause', /pause which instance/i],
    ['stop it please', /pause which instance/i],
    ['resume', /resume which instance/i],
    ['destroy everything', /destroy which instance/i],
    ['ssh details', /status of which instance/i],
  ])('asks which instance for "%s"', (text, question) => {
    const message = clarify(text);
    expect(message).toMatch(question);
    expect(message).toMatch(/i-3/);
  });

  it('asks which GPU when a deploy names none', () => {
    const message = clarify('deploy something under $0.50/hr');
    expect(message).toMatch(/which gpu/i);
    expect(message).toContain('RTX 4090');
  });

  it('offers GPUs with enough memory when a deploy only names a size', () => {
    const message = clarify('deploy a gpu with 80gb');
    expect(message).toMatch(/which gpu/i);
    expect(message).toMatch(/A100|H100/);
    expect(message).not.toContain('RTX 4090');
  });

  it('says when a named GPU has less memory than asked for', () => {
    expect(clarify('deploy a 4090 with 48gb vram')).toMatch(/24 GB/);
  });

  it('asks which one when a deploy names two models', () => {
    expect(clarify('deploy a 4090 and an a100')).toMatch(/one GPU model/);
  });

  it('rejects an instance id longer than the schema allows', () => {
    expect(clarify('destroy i-1234567890')).toMatch(/up to 9 digits/);
  });

  it('asks for ids rather than acting on every instance', () => {
    expect(clarify('pause all my instances')).toMatch(/pause which instance/i);
  });

  it('asks when two actions share one sentence without saying which instance each is for', () => {
    expect(clarify('pause i-3 destroy i-4')).toMatch(/pause i-3 and destroy i-4/);
  });

  it('asks instead of running half of a compound request', () => {
    expect(clarify('pause i-3 and deploy')).toMatch(/which gpu/i);
  });
});

describe('requests it cannot plan', () => {
  it.each(['', '   ', '\n\t'])('answers empty text %j with what it can do', (text) => {
    const message = unknown(text);
    expect(exampleCount(message)).toBeGreaterThanOrEqual(3);
  });

  it('says a very long text is too long', () => {
    const message = unknown(`deploy a 4090 ${'please '.repeat(400)}`);
    expect(message).toMatch(/too long/);
    expect(message).toContain('2,000');
  });

  it.each(['asdf qwerty', "what's the weather like", 'write me a poem about GPUs', 'hello', 'thanks!'])(
    'answers nonsense "%s" with three to five examples',
    (text) => {
      const message = unknown(text);
      expect(message).toMatch(/didn't understand/);
      const count = exampleCount(message);
      expect(count).toBeGreaterThanOrEqual(3);
      expect(count).toBeLessThanOrEqual(5);
    },
  );

  it.each(['snapshot i-42 every other tuesday', 'clone i-42', 'restore i-3 from yesterday'])(
    'says "%s" is not something it can do',
    (text) => {
      const message = unknown(text);
      expect(message).toMatch(/can't/);
      expect(exampleCount(message)).toBeGreaterThanOrEqual(3);
    },
  );

  it('hands GPU advice questions to the advisor, asking for the model when none is named', () => {
    expect(planRequest('recommend a gpu for llama 70b')).toEqual<Plan>({
      kind: 'calls',
      calls: [{ tool: 'recommend_gpu', args: { model: 'llama-3.3-70b' } }],
    });
    expect(clarify('which gpu should I use for fine-tuning?')).toMatch(/which model.*parameters/i);
  });

  it('does nothing for a negated action', () => {
    expect(unknown("don't destroy i-3")).toMatch(/won't destroy/);
  });

  it('treats small talk that sounds like a status question as not understood', () => {
    expect(unknown('how are you doing')).toMatch(/didn't understand/);
  });

  it('never throws, whatever it is given', () => {
    const inputs = [
      '$',
      '$$$',
      'i-',
      '-',
      '0x',
      '/',
      '::',
      '<@U1>',
      '§g §g',
      'x'.repeat(2000),
      '🚀🚀',
      'null',
    ];
    for (const text of inputs) expect(() => planRequest(text)).not.toThrow();
    expect(() => planRequest(undefined as unknown as string)).not.toThrow();
  });
});

describe('snapshot phrasings', () => {
  it.each([
    ['snapshot i-42', { tool: 'snapshot', args: { instance: 'i-42' } }],
    ['back up i-6', { tool: 'snapshot', args: { instance: 'i-6' } }],
    [
      'take a snapshot of i-14 called before-upgrade',
      { tool: 'snapshot', args: { instance: 'i-14', name: 'before-upgrade' } },
    ],
    ['please snapshot instance i-3 as "v2"', { tool: 'snapshot', args: { instance: 'i-3', name: 'v2' } }],
    ['list snapshots', { tool: 'list_snapshots', args: {} }],
    ['show me my backups', { tool: 'list_snapshots', args: {} }],
    ['snapshots of i-3', { tool: 'list_snapshots', args: { instance: 'i-3' } }],
    ['restore snap-3 onto i-9', { tool: 'restore', args: { snapshot: 'snap-3', instance: 'i-9' } }],
    ['restore snap-2 to i-7 please', { tool: 'restore', args: { snapshot: 'snap-2', instance: 'i-7' } }],
  ])('reads "%s"', (text, call) => {
    expect(planRequest(text)).toEqual({ kind: 'calls', calls: [call] });
  });

  it('refuses a snapshot name it cannot store exactly, quoting nothing rewritten', () => {
    expect(planRequest('snapshot i-3 as "my snapshot/../x"')).not.toMatchObject({ kind: 'calls' });
  });
});
