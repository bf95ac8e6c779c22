import { GPU_CATALOG, type GpuModel, gpuById, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { countriesFor } from '../cloud/market-query.ts';
import type { GpuProvider, Offer, OfferQuery } from '../cloud/provider.ts';
import type { Config } from '../config.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice } from '../format/text.ts';
import { unsupportedReason } from './compat.ts';
import { fitsOn, fitTable, smallestConfigs } from './fit.ts';
import { estimateMemory } from './memory.ts';
import { DEFAULT_MIN_RELIABILITY, type RankedOffer, rankOffers, topConfigurations } from './rank.ts';
import { estimateSpeed, assumptions as speedAssumptions } from './speed.ts';
import type { AdviceRequest, FitRow, MemoryBreakdown, Recommendation, Workload } from './types.ts';
import { buildWorkload } from './workload.ts';

export type RecommendGpuArgs = AdviceRequest;

/** The advisor's answer: `gpuops advise --json` prints exactly this object. */
export interface Advice {
  workload: {
    model: string;
    model_id: string;
    model_estimated: boolean;
    kind: Workload['model']['kind'];
    params_b: number;
    active_params_b: number;
    task: Workload['task'];
    precision: Workload['precision'];
    kv_precision: Workload['kvPrecision'];
    context: number;
    batch: number;
    gradient_checkpointing?: boolean;
    lora_rank?: number;
    training_tokens?: number;
    defaults_used: string[];
  };
  memory_gb: MemoryBreakdown;
  fits: Array<FitRow & { gpu_id: string }>;
  /** The smallest configuration of each GPU model that holds the workload, smallest memory first. */
  configurations: Array<{ gpu_id: string; gpu: string; count: number; vram_gb_total: number }>;
  /** For the GPUs the question named: whether and how they can run it. */
  checked?: Array<{ gpu: string; fits_on_one: boolean; count_needed: number | null; verdict: string }>;
  recommendation: Recommendation | null;
  /** For "X or Y?" questions: the two named GPUs' best setups side by side, in one sentence. */
  comparison?: string;
  reason?: string;
  alternatives: Recommendation[];
  /** How many live offers were ranked. */
  offers_considered: number;
  assumptions: string[];
}

/** Offers fetched per query: enough for the price and the perf-per-dollar ends of the market. */
const OFFERS_PER_QUERY = 500;
const TOP_N = 3;

export async function advise(args: RecommendGpuArgs, provider: GpuProvider, config: Config): Promise<Advice> {
  const built = buildWorkload(args);
  if ('needSize' in built) throw new GpuopsError(ErrorCode.BadInput, built.needSize);
  if ('unknownModel' in built) {
    const hint = built.suggestions.length > 0 ? ` Did you mean ${built.suggestions.join(', ')}?` : '';
    throw new GpuopsError(
      ErrorCode.BadInput,
      `I don't know the model "${built.unknownModel}".${hint} Or tell me its size, e.g. "a 20B model in int4".`,
    );
  }
  const workload = built.workload;
  const named = (args.gpus ?? []).map((g) => resolveGpuArg(g));
  const memory = estimateMemory(workload);
  const fits = fitTable(workload);
  // Image, speech and embedding models are served one copy per GPU and scaled out with replicas;
  // splitting one across cards is not how anyone runs them.
  const singleGpu =
    workload.model.kind === 'diffusion' ||
    workload.model.kind === 'speech' ||
    workload.model.kind === 'embedding';
  const memoryFits = smallestConfigs(workload).filter((c) => !singleGpu || c.count === 1);
  // Enough memory is not enough: the kernels for the format must exist on the GPU.
  const unsupported = new Map(
    memoryFits.flatMap((c) => {
      const why = unsupportedReason(c.gpu, workload);
      return why ? [[c.gpu.id, why] as const] : [];
    }),
  );
  const configs = memoryFits.filter((c) => !unsupported.has(c.gpu.id));
  const minCount = new Map(configs.map((c) => [c.gpu.id, c.count]));

  // When the question names GPUs that can hold it, the pick is the best of those; the rest of
  // the market still supplies the alternatives, so the answer says what else would do better.
  const namedFitting = named.filter((g) => minCount.has(g.id));
  const offers = (minCount.size === 0 ? [] : await fetchOffers(provider, minCount, args, config)).filter(
    (o) => !singleGpu || o.numGpus === 1,
  );
  const ranking = rankOffers({
    workload,
    offers,
    minCount,
    speed: (gpu, count) => estimateSpeed(workload, gpu, count),
    ...(args.max_price_per_gpu_hour !== undefined && { maxPricePerGpuHour: args.max_price_per_gpu_hour }),
  });
  // The best setup of each GPU the question named, cheapest per unit of work first, then the rest.
  const namedBest = namedFitting
    .map((g) => ranking.ranked.find((r) => r.gpu.id === g.id))
    .filter((r): r is RankedOffer => r !== undefined)
    .sort((a, b) => a.unitCost - b.unitCost);
  const bestNamed = namedBest[0];
  const ordered = [...namedBest, ...ranking.ranked.filter((r) => !namedBest.includes(r))];
  const top = topConfigurations(ordered, Math.max(TOP_N, namedBest.length + 1));
  const recommendations = top.map((r, i) => toRecommendation(r, i, top, memory.total, r === bestNamed));

  const assumptions = [
    ...speedAssumptions(),
    `Offers below ${Math.round(DEFAULT_MIN_RELIABILITY * 100)}% host reliability are left out${ranking.reliabilityRelaxed ? ' (none met it this time, so all were ranked)' : ''}.`,
    ...(singleGpu
      ? [
          `${workload.model.name} runs one copy per GPU: only single-GPU machines are considered; add replicas for more throughput.`,
        ]
      : []),
    ...(unsupported.size > 0
      ? [
          `Left out although they have the memory: ${[...unsupported]
            .map(([id, why]) => `${gpuById(id)?.displayName ?? id} (${why})`)
            .join('; ')}.`,
        ]
      : []),
    ...(workload.modelEstimated
      ? [`${workload.model.name} is not in the catalog: its shape is estimated from its parameter count.`]
      : []),
  ];

  const advice: Advice = {
    workload: describeWorkload(workload),
    memory_gb: round(memory),
    // Display names for people, catalog ids for scripts (and for "deploy the <gpu> option").
    fits: fits.map((f) => ({ ...f, gpu: gpuById(f.gpu)?.displayName ?? f.gpu, gpu_id: f.gpu })),
    configurations: configs.map((c) => ({
      gpu_id: c.gpu.id,
      gpu: c.gpu.displayName,
      count: c.count,
      vram_gb_total: c.gpu.vramGb * c.count,
    })),
    recommendation: recommendations[0] ?? null,
    alternatives: recommendations.slice(1),
    offers_considered: ranking.considered,
    assumptions,
  };
  if (named.length > 0) {
    advice.checked = named.map((gpu) => {
      const why = unsupportedReason(gpu, workload);
      if (why) {
        return {
          gpu: gpu.displayName,
          fits_on_one: false,
          count_needed: null,
          verdict: `No: ${workload.precision} ${workload.task} does not run on ${gpu.displayName}: ${why}.`,
        };
      }
      return checkNamed(gpu, minCount, memory, workload, args.gpu_count);
    });
  }
  if (namedBest.length >= 2) advice.comparison = compareNamed(namedBest[0]!, namedBest[1]!);
  if (!advice.recommendation)
    advice.reason = noRecommendationReason(workload, memory, configs.length, named, namedFitting);
  return advice;
}

async function fetchOffers(
  provider: GpuProvider,
  candidateCounts: ReadonlyMap<string, number>,
  args: RecommendGpuArgs,
  config: Config,
): Promise<Offer[]> {
  // One query per minimum GPU count, each from both ends of the market (cheapest, and best
  // performance per dollar), so fast datacenter GPUs are not crowded out by cheap small ones.
  const byCount = new Map<number, string[]>();
  for (const [id, count] of candidateCounts) {
    const gpu = gpuById(id);
    if (gpu) byCount.set(count, [...(byCount.get(count) ?? []), gpu.marketName]);
  }
  const countries = countriesFor(args.region);
  const queries: OfferQuery[] = [];
  for (const [count, names] of byCount) {
    for (const order of ['price', 'performance_per_dollar'] as const) {
      queries.push({
        gpuNames: names,
        minNumGpus: count,
        order,
        limit: OFFERS_PER_QUERY,
        maxPricePerHour: config.maxPricePerHour,
        ...(countries && { countries }),
      });
    }
  }
  const results = await Promise.all(queries.map((q) => provider.searchOffers(q)));
  const unique = new Map<number, Offer>();
  for (const offer of results.flat()) unique.set(offer.id, offer);
  return [...unique.values()];
}

function toRecommendation(
  r: RankedOffer,
  index: number,
  top: RankedOffer[],
  neededGb: number,
  asked: boolean,
): Recommendation {
  const rec: Recommendation = {
    gpu: r.gpu.displayName,
    gpu_id: r.gpu.id,
    count: r.count,
    price_per_hour: round3(r.offer.pricePerHour),
    offer_id: r.offer.id,
    location: r.offer.location,
    reliability: r.offer.reliability,
    reason: reasonFor(r, index, top, neededGb, asked),
  };
  if (r.tokensPerS !== undefined) rec.est_tokens_per_s = Math.round(r.tokensPerS);
  if (r.unit === 'usd_per_million_tokens') rec.usd_per_million_tokens = round3(r.unitCost);
  if (r.unit === 'usd_per_run') rec.usd_per_run = Math.round(r.unitCost * 100) / 100;
  if (r.speed.trainHours !== undefined) rec.est_hours = Math.round(r.speed.trainHours * 10) / 10;
  if (r.unit === 'usd_per_million_training_tokens') rec.usd_per_million_training_tokens = round3(r.unitCost);
  return rec;
}

function reasonFor(
  r: RankedOffer,
  index: number,
  top: RankedOffer[],
  neededGb: number,
  asked: boolean,
): string {
  const unit = describeUnitCost(r);
  const vram = r.gpu.vramGb * r.count;
  const cheaper = top.slice(1).find((o) => o.unitCost < r.unitCost);
  if (index === 0 && asked && cheaper) {
    return `the best ${r.gpu.displayName} setup you asked about; ${vram} GB holds the ${round1(neededGb)} GB needed (${cheaper.count}x ${cheaper.gpu.displayName} would cost ${Math.round((1 - cheaper.unitCost / r.unitCost) * 100)}% less ${unit.replace(/^cost /, '')})`;
  }
  if (index === 0) {
    const next = top[1];
    const margin = next
      ? ` (${Math.round((next.unitCost / r.unitCost - 1) * 100)}% less than ${next.count}x ${next.gpu.displayName})`
      : '';
    // Nearly the same cost per unit of work for much less per hour is worth saying: less money at risk.
    const thrifty =
      next && next.unitCost / r.unitCost < 1.05 && next.offer.pricePerHour < r.offer.pricePerHour * 0.7
        ? `; ${next.count}x ${next.gpu.displayName} costs about the same per unit of work at ${Math.round((1 - next.offer.pricePerHour / r.offer.pricePerHour) * 100)}% less per hour`
        : '';
    return `lowest ${unit}${margin}; ${vram} GB holds the ${round1(neededGb)} GB needed; ${(r.offer.reliability * 100).toFixed(1)}% reliable host${thrifty}`;
  }
  const best = top[0]!;
  if (r.unitCost < best.unitCost) {
    return `${Math.round((1 - r.unitCost / best.unitCost) * 100)}% less ${unit} than the ${best.gpu.displayName} setup you asked about`;
  }
  const dearer = Math.round((r.unitCost / best.unitCost - 1) * 100);
  const faster = r.tokensPerS && best.tokensPerS ? r.tokensPerS / best.tokensPerS : 1;
  const why = faster > 1.15 ? `${faster.toFixed(1)}x the throughput` : `${vram} GB of memory`;
  return `${dearer}% more ${unit}, but ${why}`;
}

function compareNamed(cheaper: RankedOffer, dearer: RankedOffer): string {
  const unit = describeUnitCost(cheaper).replace(/^cost /, '');
  const saving = Math.round((1 - cheaper.unitCost / dearer.unitCost) * 100);
  const a = `${cheaper.count}x ${cheaper.gpu.displayName}`;
  const b = `${dearer.count}x ${dearer.gpu.displayName}`;
  const perUser = (r: RankedOffer) => r.speed.perUserTokensPerS ?? r.tokensPerS ?? 0;
  const faster = perUser(dearer) / Math.max(perUser(cheaper), 1e-9);
  const speed =
    faster > 1.1
      ? `; ${b} is ${faster.toFixed(1)}x faster per ${cheaper.unit === 'usd_per_million_tokens' ? 'user' : 'run'}, worth it only if you need that speed`
      : `, and ${b} is not meaningfully faster`;
  return `${a} costs ${saving}% less ${unit} than ${b} at ${formatPrice(cheaper.offer.pricePerHour)} vs ${formatPrice(dearer.offer.pricePerHour)}${speed}.`;
}

function describeUnitCost(r: RankedOffer): string {
  switch (r.unit) {
    case 'usd_per_million_tokens':
      return 'cost per million tokens';
    case 'usd_per_run':
      return 'cost for the training run';
    case 'usd_per_million_training_tokens':
      return 'cost per million training tokens';
    case 'usd_per_hour':
      return 'price per hour';
  }
}

function checkNamed(
  gpu: GpuModel,
  minCount: ReadonlyMap<string, number>,
  memory: MemoryBreakdown,
  workload: Workload,
  askedCount: number | undefined,
): NonNullable<Advice['checked']>[number] {
  const need = minCount.get(gpu.id);
  const total = round1(memory.total);
  if (askedCount !== undefined && askedCount > 1) {
    const enough = fitsOn(workload, gpu, askedCount);
    const setup = `${askedCount}x ${gpu.displayName} (${askedCount * gpu.vramGb} GB)`;
    return {
      gpu: gpu.displayName,
      fits_on_one: need === 1,
      count_needed: need ?? null,
      verdict: enough
        ? `Yes: ${setup} holds the ${total} GB ${workload.model.name} needs here${need !== undefined && need < askedCount ? `; ${need}x would do` : ''}.`
        : `No: ${workload.model.name} at ${workload.precision} needs ${total} GB, more than ${setup} can hold${need !== undefined ? `; it takes ${need}x` : '; not even 8x is enough'}.`,
    };
  }
  if (need === 1) {
    return {
      gpu: gpu.displayName,
      fits_on_one: true,
      count_needed: 1,
      verdict: `Yes: one ${gpu.displayName} (${gpu.vramGb} GB) holds the ${total} GB ${workload.model.name} needs here.`,
    };
  }
  const base = `No: ${workload.model.name} at ${workload.precision} needs ${total} GB, one ${gpu.displayName} has ${gpu.vramGb} GB.`;
  return {
    gpu: gpu.displayName,
    fits_on_one: false,
    count_needed: need ?? null,
    verdict:
      need !== undefined
        ? `${base} It fits on ${need}x ${gpu.displayName} (${need * gpu.vramGb} GB).`
        : `${base} Not even 8x ${gpu.displayName} is enough.`,
  };
}

function noRecommendationReason(
  workload: Workload,
  memory: MemoryBreakdown,
  fittingConfigs: number,
  named: GpuModel[],
  namedFitting: GpuModel[],
): string {
  const total = round1(memory.total);
  if (fittingConfigs === 0) {
    const biggest = GPU_CATALOG.reduce((a, b) => (b.vramGb > a.vramGb ? b : a));
    return `${workload.model.name} needs ${total} GB here, more than any machine of up to 8 GPUs holds (8x ${biggest.displayName} = ${8 * biggest.vramGb} GB). A lower precision (fp8, or 4-bit awq) or a shorter context would shrink it.`;
  }
  if (named.length > 0 && namedFitting.length === 0) {
    return `None of ${named.map((g) => g.displayName).join(', ')} can hold the ${total} GB needed, even 8 to a machine.`;
  }
  return `No offer on the market right now matches (${total} GB needed). Try a higher price, another region, or later.`;
}

function describeWorkload(w: Workload): Advice['workload'] {
  const training = w.task !== 'inference';
  const all = ['precision', 'context', 'batch', 'task', ...(training ? ['seq', 'checkpointing'] : [])];
  if (w.task === 'lora' || w.task === 'qlora') all.push('rank');
  return {
    model: w.model.name,
    model_id: w.model.id,
    model_estimated: w.modelEstimated,
    kind: w.model.kind,
    params_b: w.model.paramsB,
    active_params_b: w.model.activeParamsB,
    task: w.task,
    precision: w.precision,
    kv_precision: w.kvPrecision,
    context: w.contextTokens,
    batch: w.batch,
    ...(training && { gradient_checkpointing: w.gradientCheckpointing }),
    ...((w.task === 'lora' || w.task === 'qlora') && { lora_rank: w.loraRank }),
    ...(w.trainingTokens !== undefined && { training_tokens: w.trainingTokens }),
    defaults_used: all.filter((k) => !w.stated.includes(k as Workload['stated'][number])),
  };
}

function round(m: MemoryBreakdown): MemoryBreakdown {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round1(v)])) as unknown as MemoryBreakdown;
}
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
