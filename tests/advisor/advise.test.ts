import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Advice, advise } from '../../src/advisor/advise.ts';
import { usableVramGb } from '../../src/advisor/fit.ts';
import { parseAdviceQuestion } from '../../src/agent/planner/advice-question.ts';
import { resolveGpu } from '../../src/cloud/gpu-catalog.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { VastProvider } from '../../src/cloud/vast/vast-provider.ts';
import { loadConfig } from '../../src/config.ts';
import { GpuopsError } from '../../src/errors.ts';

/** The questions the advisor issue lists, answered against the simulated live market. */
const QUESTIONS = [
  'what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?',
  'cheapest GPU for Mistral-Nemo 12B in fp8',
  'can a 3090 run Command-R 35B?',
  'Stable Diffusion 3 medium',
  'a 20B model in int4',
  'full fine-tune of Qwen2.5 1.5B',
  'LoRA on Gemma 2 9B',
  'QLoRA on Llama 3.3 70B',
  '4090 or A100 for Llama 3 8B inference?',
  'is an H100 worth it over an A100?',
  '8x H100 enough for deepseek v3?',
  'which gpu for whisper large',
  'fine-tune llama 3 8b with 4k sequence length and batch size 8',
  'how much vram for mixtral 8x7b',
  'what do I need to serve Llama 3.1 405B in fp8?',
];

describe('the advisor against the live (simulated) market', () => {
  let sim: Simulator;
  let provider: VastProvider;
  const config = loadConfig({});
  const answers = new Map<string, Advice>();

  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0, offers: 3_000, seed: 5 });
    provider = new VastProvider({ baseUrl: sim.url, apiKey: 'test', timeoutMs: 5_000, retries: 2 });
    for (const question of QUESTIONS) {
      const parsed = parseAdviceQuestion(question);
      if (!parsed) throw new Error(`not read as an advice question: ${question}`);
      answers.set(question, await advise(parsed.args, provider, config));
    }
  });
  afterAll(async () => {
    await sim?.close();
  });

  it.each(QUESTIONS)('answers "%s" with a breakdown whose parts add up to the total', (question) => {
    const advice = answers.get(question)!;
    const m = advice.memory_gb;
    const sum = m.weights + m.kv_cache + m.activations + m.optimizer + m.gradients + m.overhead;
    expect(Math.abs(sum - m.total)).toBeLessThan(0.5);
    expect(advice.assumptions.length).toBeGreaterThan(3);
    expect(advice.recommendation !== null || advice.reason !== undefined).toBe(true);
  });

  it('never recommends a setup with less usable memory than the computed total', () => {
    for (const advice of answers.values()) {
      for (const rec of [advice.recommendation, ...advice.alternatives]) {
        if (!rec) continue;
        const gpu = resolveGpu(rec.gpu)!;
        expect(rec.count * usableVramGb(gpu)).toBeGreaterThanOrEqual(advice.memory_gb.total);
        const fit = advice.fits.find((f) => f.gpu_id === rec.gpu_id && f.count === rec.count);
        expect(fit?.fits).toBe(true);
      }
    }
  });

  it('gives every recommendation its offer, price and cost per unit of work, cheapest per unit first', () => {
    for (const [question, advice] of answers) {
      const rec = advice.recommendation;
      if (!rec || advice.checked) continue;
      expect(rec.offer_id, question).toBeGreaterThan(0);
      const unit = (r: typeof rec) =>
        r.usd_per_million_tokens ?? r.usd_per_run ?? r.usd_per_million_training_tokens;
      if (unit(rec) === undefined) continue;
      for (const alt of advice.alternatives) expect(unit(alt)!).toBeGreaterThanOrEqual(unit(rec)! - 1e-9);
    }
  });

  it('leaves out GPUs that cannot run the format, and says so', () => {
    const awq = answers.get('what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?')!;
    expect(awq.workload.precision).toBe('awq');
    const names = [awq.recommendation, ...awq.alternatives].map((r) => r?.gpu);
    expect(names).not.toContain('V100 32GB');
    expect(awq.assumptions.join(' ')).toMatch(/Left out although they have the memory: .*V100/);
  });

  it('puts an image model on one GPU per copy rather than splitting it across cards', () => {
    const sd3 = answers.get('Stable Diffusion 3 medium')!;
    expect(sd3.workload.kind).toBe('diffusion');
    for (const rec of [sd3.recommendation!, ...sd3.alternatives]) expect(rec.count).toBe(1);
    expect(sd3.configurations.every((c) => c.count === 1)).toBe(true);
  });

  it('compares two named GPUs in one sentence', () => {
    const compare = answers.get('4090 or A100 for Llama 3 8B inference?')!;
    expect(compare.comparison).toMatch(/costs \d+% less per million tokens than/);
    expect(compare.checked!.map((c) => c.gpu).sort()).toEqual(['A100 40GB', 'RTX 4090']);
  });

  it('answers "is 8x H100 enough" for the count asked about', () => {
    const v3 = answers.get('8x H100 enough for deepseek v3?')!;
    expect(v3.checked![0]!.verdict).toMatch(/^No: .*8x H100/);
  });

  it('explains why 70B in fp16 does not fit one 4090 and what would', async () => {
    const parsed = parseAdviceQuestion('can I run Llama 3 70B in fp16 on one 4090?')!;
    const advice = await advise(parsed.args, provider, config);
    const verdict = advice.checked!.find((c) => c.gpu === 'RTX 4090')!;
    expect(verdict.fits_on_one).toBe(false);
    expect(verdict.verdict).toMatch(/needs [\d.]+ GB, one RTX 4090 has 24 GB/);
    expect(advice.recommendation).not.toBeNull();
    expect(advice.configurations.length).toBeGreaterThan(0);
  });

  it('says when nothing on the market can hold it, and what would shrink it', async () => {
    const advice = await advise({ model: 'deepseek-v3', precision: 'fp32' }, provider, config);
    expect(advice.recommendation).toBeNull();
    expect(advice.reason).toMatch(/more than any machine of up to 8 GPUs holds.*lower precision/);
  });

  it('asks for the size of a model it does not know', async () => {
    await expect(advise({ model: 'my-secret-model' }, provider, config)).rejects.toThrow(GpuopsError);
    await expect(advise({ model: 'my-secret-model' }, provider, config)).rejects.toThrow(/size|parameter/i);
  });
});
