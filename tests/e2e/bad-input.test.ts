import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance, insertInstance } from '../../db/repositories/instances.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { RecordingSurface } from '../support/recording-surface.ts';

describe('bad input gets a clear answer and changes nothing', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres' });
  });
  afterEach(() => g.surface.clear());
  afterAll(async () => {
    await g?.close();
  });

  async function operationCount(): Promise<number> {
    const row = await g.runtime.database.db
      .selectFrom('operations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  function allText(): string {
    return g.surface.events
      .filter((e) => e.type === 'post')
      .map((e) => e.message!.text)
      .join('\n');
  }

  it('suggests real GPUs for an unknown one', async () => {
    await g.say('deploy a rtx 9090');
    expect(allText()).toMatch(/9090/);
    expect(allText()).toMatch(/RTX 3090|RTX 4090|RTX 5090/);
    expect(await operationCount()).toBe(0);
  });

  it('refuses a negative price and an absurd one', async () => {
    await g.say('deploy a 4090 under -5 dollars an hour');
    expect(allText()).toMatch(/price/i);
    g.surface.clear();
    await g.say('deploy a 4090 for $5000/hr');
    expect(allText()).toMatch(/price/i);
    expect(await operationCount()).toBe(0);
  });

  it("refuses a deployment above the team's hourly limit before renting anything", async () => {
    await g.say('rent 8x H100 SXM under $10/hr');
    const [error] = g.surface.errors();
    expect(error!.code).toBe('price_out_of_range');
    expect(error!.text).toContain('GPUOPS_MAX_PRICE_PER_HOUR');
    expect(await operationCount()).toBe(0);
  });

  it('says an instance that does not exist does not exist, without asking to confirm', async () => {
    await g.say('destroy i-999');
    expect(g.surface.events.some((e) => e.type === 'confirm')).toBe(false);
    expect(g.surface.errors()[0]!.text).toContain('There is no instance i-999');
    expect(await operationCount()).toBe(0);
  });

  it("won't touch an instance that belongs to another channel", async () => {
    const other = await insertInstance(g.runtime.database.db, {
      provider: 'vast',
      provider_instance_id: '123456',
      offer_id: 1,
      label: 'gpuops-op-elsewhere',
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      price_per_hour: 0.4,
      state: 'running',
      image: 'pytorch/pytorch:latest',
      disk_gb: 40,
      location: 'Oregon, US',
      owner: 'bob',
      channel: 'team-other',
      operation_id: 'op-elsewhere',
    });
    await g.say(`pause i-${other.id}`);
    expect(g.surface.errors()[0]!.code).toBe('instance_not_yours');
    // The code reaches the person too: it is what they quote when they ask for help.
    expect(g.surface.errors()[0]!.text).toMatch(/\(instance_not_yours\)$/);
    await g.say(`destroy i-${other.id}`, { confirm: true });
    expect(g.surface.errors()[1]!.code).toBe('instance_not_yours');
    expect((await getInstance(g.runtime.database.db, other.id))!.state).toBe('running');
    expect(await operationCount()).toBe(0);
  });

  it('answers an empty message and a very long one with what works', async () => {
    await g.say('   ');
    expect(allText()).toContain('empty');
    expect(allText()).toContain('deploy a 4090');
    g.surface.clear();
    await g.say(`deploy ${'a 4090 '.repeat(2_000)}`);
    expect(allText()).toMatch(/characters long/);
    expect(await operationCount()).toBe(0);
  });

  it('answers nonsense with examples, and help with everything it can do', async () => {
    await g.say('colorless green ideas sleep furiously');
    expect(allText()).toMatch(/didn't understand[\s\S]*deploy a 4090/);
    g.surface.clear();
    await g.say('help');
    const help = allText();
    for (const phrase of ['deploy', 'pause', 'resume', 'destroy', 'list my instances'])
      expect(help).toContain(phrase);
  });
});

describe('a chat that cannot take the progress message', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres' });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('does not stop the operation, and its final state still reaches the caller', async () => {
    const broken = new RecordingSurface();
    const post = broken.post.bind(broken);
    broken.post = async (message) => {
      if (message.kind === 'progress') throw new Error('chat.postMessage answered 500');
      return post(message);
    };
    const handled = await g.runtime.chat!.handle('deploy a 3090', g.context, broken);
    const [final] = await Promise.all(handled.jobs);
    expect({ state: final!.state, kind: final!.kind, error: final!.error }).toEqual({
      state: 'succeeded',
      kind: 'deploy',
      error: undefined,
    });
    expect(broken.events.filter((e) => e.type === 'update')).toEqual([]);
  });
});
