import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import type { Advice } from '../../src/advisor/advise.ts';
import { gpuById, resolveGpu } from '../../src/cloud/gpu-catalog.ts';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { GPUOPS_DEV_BIN } from '../support/cli.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';

const run = promisify(execFile);

describe('the GPU advisor in chat', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: 'postgres', queue: 'redis' });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('answers with the memory arithmetic, a short table and one pick, then "deploy it" rents exactly that offer', async () => {
    const handled = await g.say('what do I need to serve Llama 3.1 8B for 8 users with 16k context?');
    expect(handled.calls[0]!.tool).toBe('recommend_gpu');
    const answer = g.surface.posts('reply').join('\n');
    expect(answer).toMatch(/Memory: [\d.]+ GB = weights [\d.]+ \+ KV cache [\d.]+/);
    expect(answer).toContain('Pick: ');
    expect(answer).toContain('deploy it');
    const advice = g.surface.events.find((e) => e.type === 'post' && e.message?.kind === 'reply')!.message!
      .data as Advice;
    const pick = advice.recommendation!;
    const pickGpu = resolveGpu(pick.gpu)!;
    expect(pick.count * pickGpu.vramGb).toBeGreaterThanOrEqual(advice.memory_gb.total);

    g.surface.clear();
    await g.say('deploy it');
    const ref = g.surface.progressRefs().at(-1)!;
    const final = g.surface.versionsOf(ref).at(-1)!.progress!;
    expect({ state: final.state, error: final.error }).toEqual({ state: 'succeeded', error: undefined });
    const row = await getInstance(g.runtime.database.db, Number(final.result!.instance.slice(2)));
    expect(row).toMatchObject({
      gpu_name: pickGpu.marketName,
      gpu_count: pick.count,
      offer_id: pick.offer_id,
    });
    const state = await getSimState(g.sim);
    expect(state.instances.find((i) => i.label === `gpuops-${final.operationId}`)?.offer_id).toBe(
      pick.offer_id,
    );
  });

  it('deploys the cheapest per hour of the pick and its alternatives for "deploy the cheaper one"', async () => {
    g.surface.clear();
    await g.say('what do I need to serve Qwen2.5 32B in AWQ for 8 users?');
    const advice = g.surface.events.find((e) => e.type === 'post' && e.message?.kind === 'reply')!.message!
      .data as Advice;
    const options = [advice.recommendation!, ...advice.alternatives];
    const cheapest = options.reduce((a, b) => (b.price_per_hour < a.price_per_hour ? b : a));
    g.surface.clear();
    await g.say('deploy the cheaper one');
    const ref = g.surface.progressRefs().at(-1)!;
    const final = g.surface.versionsOf(ref).at(-1)!.progress!;
    expect({ state: final.state, error: final.error }).toEqual({ state: 'succeeded', error: undefined });
    const row = await getInstance(g.runtime.database.db, Number(final.result!.instance.slice(2)));
    expect(row?.offer_id).toBe(cheapest.offer_id);
  });

  it('says "deploy it" needs a recommendation first in a channel that has none', async () => {
    g.surface.clear();
    await g.runtime.chat!.handle('deploy it', { ...g.context, channel: 'fresh-channel' }, g.surface);
    expect(g.surface.errors()[0]!.text).toContain('no recent recommendation');
  });
});

describe('gpuops advise --json', () => {
  async function advise(question: string): Promise<{ code: number; json: Record<string, unknown> }> {
    try {
      const { stdout } = await run(process.execPath, [GPUOPS_DEV_BIN, 'advise', question, '--json'], {
        env: {
          PATH: process.env.PATH ?? '',
          GPUOPS_DATA_DIR: '/tmp/gpuops-advise-test',
          GPUOPS_LOG_FILE: '-',
          LOG_LEVEL: 'silent',
        },
        timeout: 60_000,
      });
      return { code: 0, json: JSON.parse(stdout) };
    } catch (err) {
      const e = err as { code?: number; stdout?: string };
      return { code: e.code ?? 1, json: JSON.parse(e.stdout || '{}') };
    }
  }

  it('prints one object with the workload, memory parts, fits, a recommendation, alternatives and assumptions', async () => {
    const { code, json } = await advise(
      'what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?',
    );
    expect(code).toBe(0);
    const advice = json as unknown as Advice;
    expect(advice.workload).toMatchObject({
      model_id: 'qwen2.5-72b',
      task: 'inference',
      context: 32_768,
      batch: 16,
    });
    for (const part of [
      'total',
      'weights',
      'kv_cache',
      'activations',
      'optimizer',
      'gradients',
      'overhead',
    ]) {
      expect(typeof (advice.memory_gb as unknown as Record<string, number>)[part]).toBe('number');
    }
    expect(advice.memory_gb.kv_cache).toBeGreaterThan(0);
    expect(advice.fits.length).toBeGreaterThanOrEqual(30);
    expect(advice.fits[0]).toEqual({
      gpu: expect.any(String),
      gpu_id: expect.any(String),
      count: expect.any(Number),
      vram_gb_total: expect.any(Number),
      fits: expect.any(Boolean),
    });
    const rec = advice.recommendation!;
    expect(rec).toMatchObject({
      gpu: expect.any(String),
      count: expect.any(Number),
      price_per_hour: expect.any(Number),
      offer_id: expect.any(Number),
      est_tokens_per_s: expect.any(Number),
    });
    expect(rec.count * resolveGpu(rec.gpu)!.vramGb).toBeGreaterThanOrEqual(advice.memory_gb.total);
    expect(advice.alternatives.length).toBeGreaterThan(0);
    expect(advice.assumptions.length).toBeGreaterThan(0);
  });

  it('explains why 70B in fp16 cannot run on one 4090, and what would', async () => {
    const { json } = await advise('can a 4090 run Llama 3 70B in fp16?');
    const advice = json as unknown as Advice;
    const verdict = advice.checked!.find((c) => c.gpu === gpuById('rtx-4090')!.displayName)!;
    expect(verdict.fits_on_one).toBe(false);
    expect(verdict.verdict).toMatch(/^No: .*needs [\d.]+ GB, one RTX 4090 has 24 GB/);
    expect(advice.memory_gb.weights).toBeGreaterThan(130);
  });

  it('gives a training question that names its data the whole run: total tokens, hours and cost on each setup', async () => {
    const { code, json } = await advise(
      'what GPU do I need to fine-tune Llama 3.1 8B with LoRA on 20k examples, and what would it cost?',
    );
    expect(code).toBe(0);
    expect(json.run).toEqual({
      examples: 20_000,
      tokens_per_example: 512,
      tokens_per_example_assumed: true,
      epochs: 1,
      total_tokens: 10_240_000,
    });
    const advice = json as unknown as Advice;
    for (const setup of [advice.recommendation!, ...advice.alternatives]) {
      expect(setup.est_hours).toBeGreaterThan(0);
      // The run's cost is its hours at the setup's price, not a per-token figure (hours are shown
      // to a tenth, dollars to a cent).
      expect(Math.abs(setup.usd_per_run! / setup.price_per_hour - setup.est_hours!)).toBeLessThanOrEqual(0.1);
    }
    expect(advice.assumptions.join(' ')).toMatch(/512 tokens/);
  });

  it('gives a serving question that names its load the copies needed and the cost per day', async () => {
    const { json } = await advise('serve Llama 3.1 8B at 50 requests per second with 500 tokens per request');
    const rec = (json as unknown as Advice).recommendation!;
    expect(rec.replicas).toBeGreaterThanOrEqual(1);
    expect(rec.usd_per_day).toBeCloseTo(rec.replicas! * rec.price_per_hour * 24, 0);
  });

  it('asks for the size of a model it does not know', async () => {
    const { code, json } = await advise('what gpu do I need to serve my-secret-model?');
    expect(code).toBe(1);
    expect((json.error as { message: string }).message).toMatch(/size|parameters|billion/i);
  });
});
