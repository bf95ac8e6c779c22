import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Advice, advise } from '../../src/advisor/advise.ts';
import { renderAdvice } from '../../src/advisor/render-advice.ts';
import { parseAdviceQuestion } from '../../src/agent/planner/advice-question.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { VastProvider } from '../../src/cloud/vast/vast-provider.ts';
import { loadConfig } from '../../src/config.ts';

/** Questions with a size, a precision or a fit near the edge, answered against the simulated market. */
const TRAINING_TOTAL =
  'what GPU do I need to fine-tune Llama 3.1 8B with LoRA on 20k examples, and what would it cost?';
const V100_BF16 = 'can a V100 do LoRA on Llama 3.1 8B in bf16?';
const QLORA_65B = 'QLoRA of a 65B model on one 48 GB GPU';
const SERVING_LOAD = 'serve Llama 3.1 8B at 50 requests per second with 500 tokens per request';
const FP8_T4 = 'serve Mistral-Nemo 12B in fp8 on a T4';

describe('the advisor on the size of the job, precision and the edge of fitting', () => {
  let sim: Simulator;
  const answers = new Map<string, Advice>();

  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0, offers: 3_000, seed: 5 });
    const provider = new VastProvider({ baseUrl: sim.url, apiKey: 'test', timeoutMs: 5_000, retries: 2 });
    for (const question of [TRAINING_TOTAL, V100_BF16, QLORA_65B, SERVING_LOAD, FP8_T4]) {
      const parsed = parseAdviceQuestion(question);
      if (!parsed) throw new Error(`not read as an advice question: ${question}`);
      answers.set(question, await advise({ ...parsed.args, ...parsed.size }, provider, loadConfig({})));
    }
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('gives a training question that names its examples the whole run: tokens, then hours and cost per setup', () => {
    const advice = answers.get(TRAINING_TOTAL)!;
    expect(advice.run).toEqual({
      examples: 20_000,
      tokens_per_example: 512,
      tokens_per_example_assumed: true,
      epochs: 1,
      total_tokens: 20_000 * 512,
    });
    for (const rec of [advice.recommendation!, ...advice.alternatives]) {
      const hours = advice.run!.total_tokens / rec.est_tokens_per_s! / 3600;
      expect(rec.est_hours!).toBeCloseTo(hours, 0);
      expect(rec.usd_per_run!).toBeCloseTo(rec.price_per_hour * hours, 1);
    }
    const text = renderAdvice(advice);
    expect(text).toContain('Run: 20,000 examples × 512 tokens (assumed average) × 1 epoch = 10.24M tokens');
    expect(text).toMatch(/the whole run takes ~[\d.]+ (?:h|min) and costs ~\$[\d.]+/);
    expect(text).toMatch(/assumed to average 512 tokens/);
  });

  it('runs bf16 LoRA on a V100 in fp16 with loss scaling, and says so', () => {
    const advice = answers.get(V100_BF16)!;
    expect(advice.checked![0]!.verdict).toMatch(
      /^Yes: .*On V100 32GB: fp16 with loss scaling \(no bf16 before Ampere\)/,
    );
    const byGpu = new Map(advice.configurations.map((c) => [c.gpu_id, c.precision_note]));
    expect(byGpu.get('v100')).toMatch(/fp16 with loss scaling/);
    expect(byGpu.get('v100')).toMatch(/no FlashAttention-2/);
    expect(byGpu.get('a100-80gb')).toBeUndefined();
  });

  it('says one 48 GB GPU holds QLoRA of a 65B model at a shorter sequence than the default', () => {
    const advice = answers.get(QLORA_65B)!;
    expect(advice.fits.find((f) => f.gpu_id === 'rtx-a6000' && f.count === 1)?.fits).toBe(false);
    expect(advice.near_fit).toMatchObject({ vram_gb: 48, count: 1 });
    expect(advice.near_fit!.change).toMatch(/^sequence [\d,]+ instead of 2,048$/);
    expect(advice.near_fit!.need_gb).toBeLessThanOrEqual(advice.near_fit!.usable_gb);
    expect(renderAdvice(advice)).toMatch(
      /Near the edge: one 48 GB GPU \(.*RTX A6000.*\) holds it with sequence/,
    );
  });

  it('sizes a serving load in copies of each setup and prices the day', () => {
    const advice = answers.get(SERVING_LOAD)!;
    expect(advice.load).toMatchObject({
      requests_per_second: 50,
      tokens_per_request: 500,
      tokens_per_request_assumed: false,
      tokens_per_day: 50 * 500 * 86_400,
    });
    const picks = [advice.recommendation!, ...advice.alternatives];
    for (const rec of picks) {
      const copies = rec.replicas!;
      expect(copies * rec.est_tokens_per_s!).toBeGreaterThanOrEqual(25_000 * 0.999);
      expect((copies - 1) * rec.est_tokens_per_s!).toBeLessThan(25_000);
      // price_per_hour is shown to a tenth of a cent; the day is priced at the offer's own price.
      expect(Math.abs(rec.usd_per_day! - copies * rec.price_per_hour * 24)).toBeLessThanOrEqual(
        copies * 24 * 0.0005 + 0.01,
      );
    }
    for (const alt of advice.alternatives)
      expect(alt.usd_per_day!).toBeGreaterThanOrEqual(picks[0]!.usd_per_day!);
    expect(renderAdvice(advice)).toContain('Load: 50 requests/s × 500 tokens = 25,000 tokens/s, 2.16B a day');
  });

  it('serves FP8 weights on a T4 as fp16, at twice the weight memory, on as many T4s as that takes', () => {
    const advice = answers.get(FP8_T4)!;
    const verdict = advice.checked![0]!;
    expect(verdict.count_needed).toBe(2);
    expect(verdict.verdict).toMatch(/at fp16 needs [\d.]+ GB.*fp16 weights, twice the weight memory/);
    expect(advice.configurations.find((c) => c.gpu_id === 'rtx-4090')?.precision_note).toBeUndefined();
    expect(advice.configurations.find((c) => c.gpu_id === 'rtx-3090')?.precision_note).toMatch(/weight-only/);
  });
});
