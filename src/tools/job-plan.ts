import { createJob, finishJob, setJobOperation } from '../../db/repositories/jobs.ts';
import type { InstanceRow } from '../../db/schema.ts';
import { type GpuModel, gpuById, gpuByMarketName, resolveGpuArg } from '../cloud/gpu-catalog.ts';
import { checkBudget, offerQuery, sharedFilters, underPerGpuCeiling } from '../cloud/market-query.ts';
import type { Offer } from '../cloud/provider.ts';
import type { Config } from '../config.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { type JobRepo, type JobSpec, type JobTarget, jobRef, jobRepoSchema } from '../domain/jobs.ts';
import type { JobRef } from '../domain/operations.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../errors.ts';
import { formatDuration, formatPrice, formatUsd } from '../format/text.ts';
import { instanceAction } from './instance-action.ts';
import type { ToolResult, ToolServices } from './tool.ts';

/**
 * What the job tools that start a job share: reading a repository as written, the limits a job
 * runs under, the machine it runs on (an instance of the channel, or an offer quoted now), the
 * question put before renting, and creating the job and its run_job operation.
 */

/** How far above the quoted price per GPU a replacement offer may be when the quoted one is gone. */
export const PRICE_SLACK = 1.15;

// ── Repository ───────────────────────────────────────────────────────────────────────────────

/**
 * A git repository and ref as people write them: "github.com/org/repo@main",
 * "https://github.com/org/repo", "https://gitlab.com/org/repo.git@v1.2", "git@github.com:org/repo".
 * Only a host-less "host/org/repo" is completed (to https://); anything that cannot be read exactly
 * is refused, never rewritten.
 */
export function parseRepoArg(written: string): JobRepo {
  const text = written.trim();
  const refuse = (why: string): never => {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `I can't read "${written}" as a git repository (${why}). Write it like github.com/org/repo@main or https://github.com/org/repo (the @branch, tag or commit is optional).`,
    );
  };
  if (text === '' || /\s/.test(text)) refuse('it has spaces in it');
  // The ref follows the last "@" after the host: the "@" of git@host:org/repo is not one.
  const sshUser = /^git@/.test(text) ? 4 : 0;
  const at = text.indexOf('@', sshUser);
  if (at >= 0 && text.indexOf('@', at + 1) >= 0) refuse('it has more than one "@"');
  const address = at >= 0 ? text.slice(0, at) : text;
  const ref = at >= 0 ? text.slice(at + 1) : undefined;
  if (ref === '') refuse('nothing follows the "@"');
  let url: string;
  if (/^(https:\/\/|git@|file:\/\/\/)/.test(address)) {
    url = address;
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(address)) {
    refuse('gpuops clones over https://, ssh (git@host:org/repo) or file:///');
  } else if (/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\/[^/]+\/[^/]/.test(address)) {
    url = `https://${address}`;
  } else {
    refuse('it names no host, like github.com');
  }
  // A page of the repository in a browser is not something git clones.
  if (/^https:\/\/[^/]+\/[^/]+\/[^/]+\/(?:tree|blob|commit)\//.test(url!)) {
    refuse('that is a page of the repository, not the repository; put the branch after an @');
  }
  const parsed = jobRepoSchema.safeParse({ url: url!, ...(ref !== undefined && { ref }) });
  if (!parsed.success) refuse(parsed.error.issues[0]?.message ?? 'not a git address');
  return parsed.data!;
}

// ── Limits ───────────────────────────────────────────────────────────────────────────────────

export interface JobLimits {
  max_seconds?: number;
  max_cost?: number;
}

/** The request's limits, or the team's defaults where it names none (0: no default). */
export function jobLimits(
  args: { max_hours?: number | undefined; max_cost?: number | undefined },
  config: Config,
): JobLimits {
  const hours = args.max_hours ?? (config.jobs.maxHours > 0 ? config.jobs.maxHours : undefined);
  const cost = args.max_cost ?? (config.jobs.maxCost > 0 ? config.jobs.maxCost : undefined);
  return {
    ...(hours !== undefined && { max_seconds: Math.max(1, Math.round(hours * 3600)) }),
    ...(cost !== undefined && { max_cost: cost }),
  };
}

/** "stops after 2 h or $5.00", "no time or money limit". */
export function describeLimits(limits: JobLimits): string {
  const parts = [
    ...(limits.max_seconds !== undefined ? [formatDuration(limits.max_seconds * 1000)] : []),
    ...(limits.max_cost !== undefined ? [formatUsd(limits.max_cost)] : []),
  ];
  return parts.length === 0 ? 'no time or money limit' : `stops after ${parts.join(' or ')}`;
}

/** The most a job can cost at this price: its hours at the price, or its money limit, whichever is less. */
export function mostItCosts(pricePerHour: number, limits: JobLimits): number | undefined {
  const byTime = limits.max_seconds !== undefined ? (pricePerHour * limits.max_seconds) / 3600 : undefined;
  if (byTime === undefined) return limits.max_cost;
  return limits.max_cost === undefined ? byTime : Math.min(byTime, limits.max_cost);
}

// ── Machines ─────────────────────────────────────────────────────────────────────────────────

/** A rented machine as quoted now: the target the job will rent, and the offer its price is from. */
export interface RentQuote {
  target: Extract<JobTarget, { kind: 'rent' }>;
  gpu: GpuModel;
  /** The offer the price is quoted from. */
  offer: Pick<Offer, 'id' | 'pricePerHour' | 'location'>;
  /** The most per hour the job pays: the quoted offer, or a replacement under the ceiling. */
  ceilingPerHour: number;
}

export interface RentRequest {
  /** Catalog GPU or as written; absent: the cheapest GPU that matches the other filters. */
  gpu?: string | GpuModel | undefined;
  count?: number | undefined;
  min_gpu_ram_gb?: number | undefined;
  max_price_per_gpu_hour?: number | undefined;
  region?: string | undefined;
  image?: string | undefined;
  disk_gb?: number | undefined;
}

/**
 * The offer a job would rent now: the cheapest of the named GPU, or without one the cheapest GPU
 * with the memory asked for. The offer is kept in the target (rented first when still there) and,
 * unless the request set a price ceiling, a ceiling a little above its price per GPU, so the price
 * the requester confirmed bounds what the job pays.
 */
export async function quoteRent(request: RentRequest, services: ToolServices): Promise<RentQuote> {
  const { config, provider } = services;
  const named =
    request.gpu === undefined
      ? undefined
      : typeof request.gpu === 'string'
        ? resolveGpuArg(request.gpu)
        : request.gpu;
  if (!named && request.min_gpu_ram_gb === undefined) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      'Which machine should the job run on? Name a GPU ("on a 4090"), the memory it needs ("on the cheapest GPU with 24 GB"), or an instance ("on i-3").',
    );
  }
  const count = request.count ?? 1;
  checkBudget(request.max_price_per_gpu_hour, count, config);
  const diskGb = request.disk_gb ?? config.defaultDiskGb;
  const filters = {
    ...sharedFilters({ ...request, count }),
    ...(named && { gpu: named }),
    ...(request.min_gpu_ram_gb !== undefined && { minGpuRamGb: request.min_gpu_ram_gb }),
    diskGb,
  };
  const found = (
    await provider.searchOffers(offerQuery({ ...filters, limit: named ? 5 : 50 }, config))
  ).filter((o) => underPerGpuCeiling(o, request.max_price_per_gpu_hour));
  // Without a GPU named, the cheapest offer whose GPU gpuops knows: the job rents by catalog id.
  const best = found
    .map((offer) => ({ offer, gpu: named ?? gpuByMarketName(offer.gpuName) }))
    .find((o): o is { offer: Offer; gpu: GpuModel } => o.gpu !== undefined);
  const what = `${count}x ${named ? named.displayName : `GPU${request.min_gpu_ram_gb !== undefined ? ` with ${request.min_gpu_ram_gb} GB or more` : ''}`}`;
  if (!best) {
    const where = `${request.max_price_per_gpu_hour !== undefined ? ` under ${formatPrice(request.max_price_per_gpu_hour)} per GPU` : ''}${request.region ? ` in ${request.region}` : ''}`;
    const { maxPricePerGpuHour: _price, region: _region, ...looser } = filters;
    const [cheapest] = await provider.searchOffers(offerQuery({ ...looser, limit: 1 }, config));
    const hint = cheapest
      ? `The cheapest ${what} anywhere right now is ${formatPrice(cheapest.pricePerHour)} (${cheapest.numGpus}x ${cheapest.gpuName} in ${cheapest.location}).`
      : `There is no ${what} offer with ${diskGb} GB of disk at all right now; try another GPU or fewer per machine.`;
    throw new GpuopsError(
      ErrorCode.NoMatchingOffer,
      `No offer matches ${what}${where} with ${diskGb} GB of disk; nothing was rented. ${hint}`,
    );
  }
  return quoteOf(best.gpu, count, best.offer, { ...request, disk_gb: diskGb }, config);
}

/**
 * The quote for renting this offer: unless the request set a price ceiling, one a little above the
 * offer's price per GPU, so the price the requester confirmed bounds what a replacement costs.
 */
export function quoteOf(
  gpu: GpuModel,
  count: number,
  offer: RentQuote['offer'],
  request: Pick<RentRequest, 'max_price_per_gpu_hour' | 'region' | 'image' | 'disk_gb'>,
  config: Config,
): RentQuote {
  const perGpu = offer.pricePerHour / count;
  const ceilingPerGpu = request.max_price_per_gpu_hour ?? Math.round(perGpu * PRICE_SLACK * 1000) / 1000;
  return {
    gpu,
    offer,
    ceilingPerHour: Math.max(offer.pricePerHour, ceilingPerGpu * count),
    target: {
      kind: 'rent',
      gpu: gpu.id,
      count,
      image: request.image ?? config.defaultImage,
      disk_gb: request.disk_gb ?? config.defaultDiskGb,
      max_price_per_gpu_hour: ceilingPerGpu,
      ...(request.region !== undefined && { region: request.region }),
      offer_id: offer.id,
    },
  };
}

/** A job runs on an instance only while it runs, and while nothing else is under way on it. */
const onInstance = instanceAction({
  from: ['running'],
  refusal: (ref, state) =>
    `${ref} is ${state}; a job runs on an instance only while it is running. Say "resume ${ref}" first, or run the job on a rented GPU ("on a 4090").`,
});

/** The channel's running instance a job would run on, or why it cannot. */
export function loadJobInstance(
  services: ToolServices,
  ref: string,
  ctx: RequestContext,
): Promise<InstanceRow> {
  return onInstance.load(services, ref, ctx);
}

// ── Asking and starting ──────────────────────────────────────────────────────────────────────

/** Where a planned job runs: the quote of a machine to rent, or the instance it takes. */
export type JobMachinePlan = { kind: 'rent'; quote: RentQuote } | { kind: 'instance'; row: InstanceRow };

export function describeMachine(machine: JobMachinePlan): string {
  if (machine.kind === 'instance') {
    const row = machine.row;
    return `${instanceRef(row.id)} (${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}), left running after`;
  }
  const { quote } = machine;
  return `a new ${quote.target.count}x ${quote.gpu.displayName} (${quote.target.disk_gb} GB disk, ${quote.target.image}) at ${formatPrice(quote.offer.pricePerHour)} in ${quote.offer.location} (offer ${quote.offer.id}), destroyed when the job ends`;
}

/**
 * The question before renting: the machine and its price, the limits, and the most the job can
 * cost. `preface` comes first (what a template worked out); `extra` lines after the limits.
 */
export function rentQuestion(
  what: string,
  quote: RentQuote,
  limits: JobLimits,
  lines: { preface?: string[]; extra?: string[] } = {},
): string {
  const most = mostItCosts(quote.ceilingPerHour, limits);
  const replacement =
    quote.ceilingPerHour > quote.offer.pricePerHour + 1e-9
      ? ` If that offer is gone when the job starts, another at up to ${formatPrice(quote.ceilingPerHour)} is rented instead.`
      : '';
  return [
    ...(lines.preface ?? []),
    `Run ${what} on a new ${quote.target.count}x ${quote.gpu.displayName} (${quote.target.disk_gb} GB disk, ${quote.target.image}) at ${formatPrice(quote.offer.pricePerHour)} in ${quote.offer.location} (offer ${quote.offer.id})?${replacement}`,
    `Limits: ${describeLimits(limits)}.${most === undefined ? ' With no limit it bills until the command ends.' : ` The most it can cost: ${formatUsd(most)}.`}`,
    ...(lines.extra ?? []),
    'The machine bills from when it is rented and is destroyed when the job ends; what the command leaves in $GPUOPS_OUTPUT is kept.',
  ].join('\n');
}

/** `python train.py --epochs 3` as chat shows a command: in backticks, long ones cut. */
export function showCommand(command: string, max = 120): string {
  const flat = command.replace(/\s*\n\s*/g, ' ⏎ ');
  return `\`${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}\``;
}

/**
 * Creates the job and its run_job operation and answers with both. A job whose operation could
 * not be queued is ended at once (failed), so no job waits for an operation that never comes.
 */
export async function startJob(
  services: ToolServices,
  ctx: RequestContext,
  plan: { spec: JobSpec; machine: JobMachinePlan; rerunOf?: number },
  answer: (ref: string) => string,
): Promise<ToolResult> {
  const { spec, machine } = plan;
  const row = await createJob(services.db, {
    owner: ctx.user,
    channel: ctx.channel,
    spec,
    ...(plan.rerunOf !== undefined && { rerunOf: plan.rerunOf }),
  });
  const ref = jobRef(row.id);
  let job: JobRef;
  try {
    job = await services.operations.enqueue({
      kind: 'run_job',
      args: { job: row.id },
      context: ctx,
      ...(machine.kind === 'instance' && { instanceId: machine.row.id }),
    });
  } catch (err) {
    const error = asGpuopsError(err);
    await finishJob(services.db, row.id, {
      state: 'failed',
      end_message: `${ref} could not be queued: ${error.message}`,
    });
    throw err;
  }
  await setJobOperation(services.db, row.id, job.operationId);
  const gpu = spec.target.kind === 'rent' ? gpuById(spec.target.gpu) : undefined;
  return {
    text: `${answer(ref)} Operation ${job.operationId}; progress follows. Say "status of ${ref}", "logs of ${ref}" or "cancel ${ref}".`,
    data: {
      job: ref,
      operation: job.operationId,
      spec,
      ...(machine.kind === 'instance' && { instance: instanceRef(machine.row.id) }),
      ...(machine.kind === 'rent' && {
        offer: machine.quote.offer,
        gpu: gpu?.displayName ?? spec.target.kind,
        most_it_costs: mostItCosts(machine.quote.ceilingPerHour, spec.limits),
      }),
      ...(plan.rerunOf !== undefined && { rerun_of: jobRef(plan.rerunOf) }),
    },
    job,
  };
}
