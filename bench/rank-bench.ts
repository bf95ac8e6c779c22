/**
 * Advisor ranking: 10,000 live-market offers ranked for one question, timed end to end in
 * process (workload, memory arithmetic, which setups fit, speed per setup, cost per unit of work,
 * sort, top three). The offers come from the simulated market's generator, so they have the
 * spread of a real market.
 *
 *   npx tsx bench/rank-bench.ts [--offers 10000] [--runs 50]
 */
import { performance } from 'node:perf_hooks';
import { unsupportedReason } from '../src/advisor/compat.ts';
import { smallestConfigs } from '../src/advisor/fit.ts';
import { estimateMemory } from '../src/advisor/memory.ts';
import { rankOffers, topConfigurations } from '../src/advisor/rank.ts';
import { estimateSpeed } from '../src/advisor/speed.ts';
import { buildWorkload } from '../src/advisor/workload.ts';
import { parseAdviceQuestion } from '../src/agent/planner/advice-question.ts';
import type { Offer } from '../src/cloud/provider.ts';
import { Market } from '../src/cloud/sim/market.ts';
import { toOffer } from '../src/cloud/vast/vast-provider.ts';
import type { VastOffer } from '../src/cloud/vast/vast-schemas.ts';
import { option, summarize } from './stats.ts';

const offerCount = option('offers', 10_000);
const runs = option('runs', 50);
const market = new Market(7, offerCount);
const now = Date.now();
const offers = market.machines
  .map((spec) => toOffer(market.offerWire(spec, now) as unknown as VastOffer))
  .filter((o): o is Offer => o !== undefined);

const QUESTIONS = [
  'what do I need to serve Qwen2.5-72B in 4-bit with 32k context for 16 users?',
  'cheapest GPU for Mistral-Nemo 12B in fp8',
  'QLoRA on Llama 3.3 70B',
  'full fine-tune of Qwen2.5 1.5B',
];

for (const question of QUESTIONS) {
  const parsed = parseAdviceQuestion(question);
  if (!parsed) throw new Error(`not an advice question: ${question}`);
  const samples: number[] = [];
  let top = '';
  for (let i = 0; i < runs + 5; i++) {
    const started = performance.now();
    const built = buildWorkload(parsed.args);
    if (!('workload' in built)) throw new Error(`no workload for ${question}`);
    const workload = built.workload;
    estimateMemory(workload);
    const minCount = new Map(
      smallestConfigs(workload)
        .filter((c) => !unsupportedReason(c.gpu, workload))
        .map((c) => [c.gpu.id, c.count]),
    );
    const ranking = rankOffers({
      workload,
      offers,
      minCount,
      speed: (gpu, count) => estimateSpeed(workload, gpu, count),
    });
    const best = topConfigurations(ranking.ranked, 3);
    const elapsed = performance.now() - started;
    if (i >= 5) samples.push(elapsed);
    top = best.map((b) => `${b.count}x ${b.gpu.displayName}`).join(', ');
  }
  const s = summarize(samples);
  console.log(
    `rank: offers=${offers.length} median=${s.median.toFixed(2)}ms p99=${s.p99.toFixed(2)}ms question="${question}" top=[${top}]`,
  );
}
