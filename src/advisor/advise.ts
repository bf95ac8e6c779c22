import { GPU_CATALOG, type GpuModel, gpuById, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { countriesFor } from '../cloud/market-query.ts';
import type { GpuProvider, Offer, OfferQuery } from '../cloud/provider.ts';
import type { Config } from '../config.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice } from '../format/text.ts';
import { type Adapted, adaptToGpu } from './compat.ts';
import { fitsOn, fitTable, smallestConfigs, usableVramGb } from './fit.ts';
import { type FitLever, whatWouldFit } from './levers.ts';
import { estimateMemory } from './memory.ts';
import { DEFAULT_MIN_RELIABILITY, type RankedOffer, rankOffers, topConfigurations } from './rank.ts';
import { estimateSpeed, assumptions as speedAssumptions } from './speed.ts';
import type { AdviceQuestionArgs, FitRow, MemoryBreakdown, Recommendation, Workload } from './types.ts';
import { buildWorkload, WORKLOAD_DEFAULTS } from './workload.ts';

export type RecommendGpuArgs = AdviceQuestionArgs;

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
  /**
   * The smallest configuration of each GPU model that holds the workload, smallest memory first;
   * `precision_note` when the GPU runs it at another precision or without FlashAttention-2.
   */
  configurations: Array<{
    gpu_id: string;
    gpu: string;
    count: number;
    vram_gb_total: number;
    precision_note?: string;
  }>;
  /** Training with a known data size: the whole run's tokens and how they were counted. */
  run?: {
    examples?: number;
    tokens_per_example?: number;
    tokens_per_example_assumed?: boolean;
    epochs: number;
    total_tokens: number;
  };
  /** Serving at a stated rate: the load, and how many sequences one copy of a setup takes. */
  load?: {
    requests_per_second: number;
    tokens_per_request: number;
    tokens_per_request_assumed: boolean;
    tokens_per_day: number;
    sequences_per_replica: number;
    sequences_assumed: boolean;
  };
  /**
   * Near the edge: the largest single GPU that just misses, and the first standard lever
   * (gradient checkpointing, smaller batch, shorter sequence, more GPUs) that makes it hold it.
   */
  near_fit?: {
    vram_gb: number;
    gpus: string[];
    count: number;
    change: string;
    need_gb: number;
    usable_gb: number;
  };
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
  // Each GPU runs the workload at a precision it supports (bf16 becomes fp16 on a V100), or not
  // at all when no change helps; enough memory is not enough without the kernels for the format.
  const adapted = new Map<string, Adapted>(GPU_CATALOG.map((g) => [g.id, adaptToGpu(g, workload)]));
  const workloadOn = (gpu: GpuModel): Workload => {
    const a = adapted.get(gpu.id);
    return a && 'workload' in a ? a.workload : workload;
  };
  const noteOn = (gpu: GpuModel): string | undefined => {
    const a = adapted.get(gpu.id);
    return a && 'workload' in a ? a.note : undefined;
  };
  const memoryFits = smallestConfigs(workload, workloadOn).filter((c) => !singleGpu || c.count === 1);
  const unsupported = new Map(
    memoryFits.flatMap((c) => {
      const a = adapted.get(c.gpu.id);
      return a && 'unsupported' in a ? [[c.gpu.id, a.unsupported] as const] : [];
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
    speed: (gpu, count) => estimateSpeed(workloadOn(gpu), gpu, count),
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
  const recommendations = top.map((r, i) => {
    const rec = toRecommendation(r, i, top, memory.total, r === bestNamed, workload);
    const note = noteOn(r.gpu);
    if (note) rec.precision_note = note;
    return rec;
  });

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
    ...jobSizeAssumptions(workload),
  ];

  const advice: Advice = {
    workload: describeWorkload(workload),
    memory_gb: round(memory),
    // Display names for people, catalog ids for scripts (and for "deploy the <gpu> option").
    fits: fits.map((f) => ({ ...f, gpu: gpuById(f.gpu)?.displayName ?? f.gpu, gpu_id: f.gpu })),
    configurations: configs.map((c) => {
      const note = noteOn(c.gpu);
      return {
        gpu_id: c.gpu.id,
        gpu: c.gpu.displayName,
        count: c.count,
        vram_gb_total: c.gpu.vramGb * c.count,
        ...(note && { precision_note: note }),
      };
    }),
    recommendation: recommendations[0] ?? null,
    alternatives: recommendations.slice(1),
    offers_considered: ranking.considered,
    assumptions,
  };
  const run = describeRun(workload);
  if (run) advice.run = run;
  const load = describeLoad(workload);
  if (load) advice.load = load;
  const near = nearFit(workload, workloadOn, adapted, singleGpu);
  if (near) advice.near_fit = near;
  if (named.length > 0) {
    advice.checked = named.map((gpu) => {
      const a = adapted.get(gpu.id);
      if (a && 'unsupported' in a) {
        return {
          gpu: gpu.displayName,
          fits_on_one: false,
          count_needed: null,
          verdict: `No: ${workload.precision} ${workload.task} does not run on ${gpu.displayName}: ${a.unsupported}.`,
        };
      }
      const checked = checkNamed(gpu, minCount, workloadOn(gpu), args.gpu_count);
      const note = noteOn(gpu);
      return note ? { ...checked, verdict: `${checked.verdict} On ${gpu.displayName}: ${note}.` } : checked;
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
  workload: Workload,
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
  if (r.unit === 'usd_per_day' && r.tokensPerS) {
    rec.usd_per_million_tokens = round3((r.offer.pricePerHour / (r.tokensPerS * 3600)) * 1e6);
  }
  // Serving at a stated load runs all day: the stated users on one copy, or a rate on as many
  // copies as it takes.
  if (workload.task === 'inference' && (workload.load || workload.stated.includes('batch'))) {
    rec.replicas = r.replicas ?? 1;
    rec.usd_per_day = Math.round(rec.replicas * r.offer.pricePerHour * 24 * 100) / 100;
  }
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
    case 'usd_per_day':
      return 'cost per day at this load';
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
  workload: Workload,
  askedCount: number | undefined,
): NonNullable<Advice['checked']>[number] {
  const need = minCount.get(gpu.id);
  const total = round1(estimateMemory(workload).total);
  const lever = leverSentence(workload, gpu, askedCount ?? 1);
  if (askedCount !== undefined && askedCount > 1) {
    const enough = fitsOn(workload, gpu, askedCount);
    const setup = `${askedCount}x ${gpu.displayName} (${askedCount * gpu.vramGb} GB)`;
    return {
      gpu: gpu.displayName,
      fits_on_one: need === 1,
      count_needed: need ?? null,
      verdict: enough
        ? `Yes: ${setup} holds the ${total} GB ${workload.model.name} needs here${need !== undefined && need < askedCount ? `; ${need}x would do` : ''}.`
        : `No: ${workload.model.name} at ${workload.precision} needs ${total} GB, more than ${setup} can hold${need !== undefined ? `; it takes ${need}x` : '; not even 8x is enough'}.${lever}`,
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
        ? `${base} It fits on ${need}x ${gpu.displayName} (${need * gpu.vramGb} GB).${lever}`
        : `${base} Not even 8x ${gpu.displayName} is enough.${lever}`,
  };
}

/**
 * " It fits one RTX A6000 with sequence 1,024 instead of 2,048 (44.6 of 45.6 GB usable)." when a
 * lever short of more GPUs makes the setup hold it; more GPUs are already in the verdict.
 */
function leverSentence(workload: Workload, gpu: GpuModel, count: number): string {
  const lever = whatWouldFit(workload, gpu, count);
  if (!lever || lever.count !== count) return '';
  const setup = count === 1 ? `one ${gpu.displayName}` : `${count}x ${gpu.displayName}`;
  return ` It fits ${setup} with ${lever.change} (${round1(lever.needGb)} of ${round1(lever.usableGb)} GB usable${count > 1 ? ' per GPU' : ''}).`;
}

/**
 * The largest single GPU that cannot hold the workload as asked, and the first lever that makes
 * it: "QLoRA of a 65B model on one 48 GB GPU" is the QLoRA paper's result at sequence 512, so an
 * answer at 2,048 says one 48 GB GPU holds it at a shorter sequence. Only levers short of more
 * GPUs count here; the configurations already say how many GPUs it takes as asked.
 */
function nearFit(
  workload: Workload,
  workloadOn: (gpu: GpuModel) => Workload,
  adapted: ReadonlyMap<string, Adapted>,
  /** Image, speech and embedding models: one copy per GPU, their lever is the batch. */
  singleGpu: boolean,
): Advice['near_fit'] {
  if (singleGpu && workload.task === 'inference') return undefined;
  const runnable = GPU_CATALOG.filter((g) => {
    const a = adapted.get(g.id);
    return a !== undefined && 'workload' in a;
  });
  const missing = runnable.filter((g) => !fitsOn(workloadOn(g), g, 1));
  const fitting = runnable.filter((g) => fitsOn(workloadOn(g), g, 1));
  // Nothing to say when a GPU of this size or smaller already holds it on its own.
  const sizes = [...new Set(missing.map((g) => g.vramGb))].sort((a, b) => b - a);
  for (const vram of sizes) {
    if (fitting.some((g) => g.vramGb <= vram)) continue;
    const gpus = missing.filter((g) => g.vramGb === vram);
    const levers = gpus
      .map((g) => ({ g, lever: whatWouldFit(workloadOn(g), g, 1) }))
      .filter((x): x is { g: GpuModel; lever: FitLever } => x.lever !== undefined && x.lever.count === 1);
    const first = levers[0];
    if (!first) continue;
    return {
      vram_gb: vram,
      gpus: levers.map((x) => x.g.displayName),
      count: 1,
      change: first.lever.change,
      need_gb: round1(first.lever.needGb),
      usable_gb: round1(usableVramGb(first.g)),
    };
  }
  return undefined;
}

function describeRun(w: Workload): Advice['run'] {
  const run = w.run;
  if (!run) return undefined;
  return {
    ...(run.examples !== undefined && { examples: run.examples }),
    ...(run.tokensPerExample !== undefined && {
      tokens_per_example: run.tokensPerExample,
      tokens_per_example_assumed: run.tokensPerExampleAssumed,
    }),
    epochs: run.epochs,
    total_tokens: run.totalTokens,
  };
}

function describeLoad(w: Workload): Advice['load'] {
  const load = w.load;
  if (!load) return undefined;
  return {
    requests_per_second: load.requestsPerSecond,
    tokens_per_request: load.tokensPerRequest,
    tokens_per_request_assumed: load.tokensPerRequestAssumed,
    tokens_per_day: Math.round(load.tokensPerSecond * 86_400),
    sequences_per_replica: w.batch,
    sequences_assumed: load.batchAssumed,
  };
}

/** What the run's and the load's figures rest on, with the defaults that filled any gap. */
function jobSizeAssumptions(w: Workload): string[] {
  const out: string[] = [];
  const run = w.run;
  if (run?.examples !== undefined && run.tokensPerExampleAssumed) {
    out.push(
      `Each training example is assumed to average ${run.tokensPerExample?.toLocaleString('en-US')} tokens (prompt and answer, no padding, at most the sequence length); say "… tokens per example" for yours.`,
    );
  }
  if (run) {
    out.push(
      `The run is ${run.epochs} epoch${run.epochs === 1 ? '' : 's'}${run.epochs === WORKLOAD_DEFAULTS.epochs ? ' unless you say otherwise' : ''}; its time is the total tokens over each setup's training throughput, its cost that time at the offer's price.`,
    );
  }
  const load = w.load;
  if (load) {
    if (load.tokensPerRequestAssumed) {
      out.push(
        `Each request is assumed to generate ${load.tokensPerRequest} tokens; say "… tokens per request" for yours.`,
      );
    }
    if (load.batchAssumed) {
      out.push(
        `One copy of a setup serves ${w.batch} sequences at once (requests in flight when each streams at ${WORKLOAD_DEFAULTS.streamTokensPerS} tokens/s, at most ${WORKLOAD_DEFAULTS.maxSequencesPerReplica}); copies are added until they generate ${Math.round(load.tokensPerSecond).toLocaleString('en-US')} tokens/s.`,
      );
    }
    out.push('Cost per day is copies × price per hour × 24, running all day at that load.');
  } else if (w.task === 'inference' && w.stated.includes('batch')) {
    out.push('Cost per day is one setup holding every stated user at once, at its price per hour × 24.');
  }
  return out;
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
  return {
    weights: round1(m.weights),
    kv_cache: round1(m.kv_cache),
    activations: round1(m.activations),
    optimizer: round1(m.optimizer),
    gradients: round1(m.gradients),
    overhead: round1(m.overhead),
    total: round1(m.total),
  };
}
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
