import { invalidArgs } from './api-error.ts';
import { createRng, type Rng } from './prng.ts';

/** The API calls failure injection can single out; `any` matches them all. */
export const SIM_ENDPOINTS = [
  'search',
  'create',
  'show',
  'list',
  'start',
  'stop',
  'label',
  'destroy',
  'ssh-keys',
  'user',
] as const;
export type SimEndpoint = (typeof SIM_ENDPOINTS)[number];
export type FailTarget = SimEndpoint | 'any';

export const FAIL_STATUSES = [429, 500, 502, 503, 504] as const;
export type FailStatus = (typeof FAIL_STATUSES)[number];

export interface FailNextRule {
  endpoint: FailTarget;
  status: FailStatus;
  /** How many more matching requests fail. */
  count: number;
  /**
   * The request takes effect and only its answer is lost, like a gateway timing out after the
   * backend did the work. The hard case for "retrying never rents a second machine".
   */
  applied: boolean;
}

export interface RateLimitRule {
  endpoint: FailTarget;
  /** Requests to the endpoint closer together than this answer 429. */
  minIntervalMs: number;
}

/** Calls that change something at the provider: the only ones whose fault can be `applied`. */
export const MUTATING_ENDPOINTS: readonly SimEndpoint[] = ['create', 'start', 'stop', 'destroy'];

/**
 * A share of API requests answered with a random failure, drawn from a seeded generator so the
 * same seed and the same sequence of requests give the same faults.
 */
export interface FaultRateRule {
  /** Share of matching requests that fail, 0 to 1. */
  rate: number;
  /** The calls it applies to; `any` (the default) is every API call. */
  endpoints: SimEndpoint[] | 'any';
  /** Statuses to pick from, uniformly. Default 429, 500, 502, 503, 504. */
  statuses: FailStatus[];
  /**
   * Share of the faults on create, start, stop and destroy that take effect and only lose their
   * answer (as `applied` in failNext). Default 0. A 429 is never applied: vast.ai refuses a
   * rate-limited call before acting on it, and clients rely on that.
   */
  appliedShare: number;
  seed: number;
}

/** What injection answered instead of a result, since the last reset. */
export interface FaultCounts {
  total: number;
  /** Of those, the ones whose request took effect and lost only its answer. */
  applied: number;
  /** By HTTP status, e.g. `{ "503": 12 }`. */
  byStatus: Record<string, number>;
  byEndpoint: Partial<Record<SimEndpoint, number>>;
  bySource: { failNext: number; rateLimit: number; faultRate: number };
}

/** The failure a request must suffer: its status, and whether the work is done anyway. */
export interface InjectedFault {
  status: FailStatus;
  applied: boolean;
  source: keyof FaultCounts['bySource'];
}

export interface NextCreateInjections {
  /** The next create finds its offer taken by someone else. */
  offerGone: boolean;
  /** The next created instance's host dies while it loads. */
  hostFailure: boolean;
}

/** Injected failures waiting to happen, consumed by the requests they match. */
export class FailureInjector {
  private failNext: FailNextRule[] = [];
  private rateLimits = new Map<FailTarget, { minIntervalMs: number; last: number | null }>();
  private nextCreate: NextCreateInjections = { offerGone: false, hostFailure: false };
  private faultRate: { rule: FaultRateRule; rng: Rng } | null = null;
  private counts: FaultCounts = emptyCounts();

  addFailNext(rule: {
    endpoint?: unknown;
    status?: unknown;
    count?: unknown;
    applied?: unknown;
  }): FailNextRule {
    const endpoint = (rule.endpoint ?? 'any') as FailTarget;
    if (endpoint !== 'any' && !(SIM_ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw invalidArgs(`endpoint must be one of any, ${SIM_ENDPOINTS.join(', ')}.`);
    }
    const status = Number(rule.status ?? 500) as FailStatus;
    if (!FAIL_STATUSES.includes(status))
      throw invalidArgs(`status must be one of ${FAIL_STATUSES.join(', ')}.`);
    const count = Number(rule.count ?? 1);
    if (!Number.isInteger(count) || count < 1) throw invalidArgs('count must be a positive whole number.');
    const added: FailNextRule = { endpoint, status, count, applied: rule.applied === true };
    this.failNext.push(added);
    return { ...added };
  }

  /** Consumes the first rule matching this request, if any. */
  takeFailNext(endpoint: SimEndpoint): FailNextRule | undefined {
    const rule = this.failNext.find((r) => r.endpoint === 'any' || r.endpoint === endpoint);
    if (!rule) return undefined;
    rule.count--;
    if (rule.count <= 0) this.failNext = this.failNext.filter((r) => r !== rule);
    return { ...rule };
  }

  setRateLimit(rule: { endpoint?: unknown; minIntervalMs?: unknown }): RateLimitRule {
    const endpoint = (rule.endpoint ?? 'any') as FailTarget;
    if (endpoint !== 'any' && !(SIM_ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw invalidArgs(`endpoint must be one of any, ${SIM_ENDPOINTS.join(', ')}.`);
    }
    const minIntervalMs = Number(rule.minIntervalMs ?? 0);
    if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0)
      throw invalidArgs('minIntervalMs must be 0 or more.');
    if (minIntervalMs === 0) this.rateLimits.delete(endpoint);
    else this.rateLimits.set(endpoint, { minIntervalMs, last: null });
    return { endpoint, minIntervalMs };
  }

  /**
   * True when this request comes too soon after the previous one to the same endpoint. As on
   * vast.ai, a refused request does not restart the interval.
   */
  isRateLimited(endpoint: SimEndpoint, now: number): boolean {
    let limited = false;
    for (const key of [endpoint, 'any'] as const) {
      const limit = this.rateLimits.get(key);
      if (!limit) continue;
      if (limit.last !== null && now - limit.last < limit.minIntervalMs) limited = true;
    }
    if (limited) return true;
    for (const key of [endpoint, 'any'] as const) {
      const limit = this.rateLimits.get(key);
      if (limit) limit.last = now;
    }
    return false;
  }

  armNextCreate(what: keyof NextCreateInjections): void {
    this.nextCreate[what] = true;
  }

  /** What the create being handled now must suffer; each injection applies once. */
  takeNextCreate(): NextCreateInjections {
    const taken = this.nextCreate;
    this.nextCreate = { offerGone: false, hostFailure: false };
    return taken;
  }

  /**
   * Sets the random fault rule, replacing any before it and restarting its generator from the
   * seed (`defaultSeed` when the rule gives none). Rate 0 removes it. Checks everything before
   * changing anything, so a refused rule leaves the one in force.
   */
  setFaultRate(
    rule: { rate?: unknown; endpoints?: unknown; statuses?: unknown; appliedShare?: unknown; seed?: unknown },
    defaultSeed: number,
  ): FaultRateRule {
    const rate = shareOf(rule.rate, 'rate', 'the share of API requests to fail');
    const endpoints = endpointsOf(rule.endpoints);
    const statuses = statusesOf(rule.statuses);
    const appliedShare =
      rule.appliedShare === undefined
        ? 0
        : shareOf(
            rule.appliedShare,
            'appliedShare',
            'the share of faults on create, start, stop and destroy that take effect',
          );
    const seed = rule.seed ?? defaultSeed;
    if (typeof seed !== 'number' || !Number.isInteger(seed))
      throw invalidArgs(`seed must be a whole number, not ${JSON.stringify(rule.seed)}.`);
    const set: FaultRateRule = { rate, endpoints, statuses, appliedShare, seed };
    this.faultRate = rate === 0 ? null : { rule: set, rng: createRng(seed) };
    return copyRule(set);
  }

  /**
   * The failure this API request must suffer, if any, counted: a rate limit first, then a
   * failNext rule, then the random rule. Consumes what it uses.
   */
  faultFor(endpoint: SimEndpoint, now: number): InjectedFault | undefined {
    const fault = this.pickFault(endpoint, now);
    if (fault) {
      const c = this.counts;
      c.total++;
      if (fault.applied) c.applied++;
      c.byStatus[fault.status] = (c.byStatus[fault.status] ?? 0) + 1;
      c.byEndpoint[endpoint] = (c.byEndpoint[endpoint] ?? 0) + 1;
      c.bySource[fault.source]++;
    }
    return fault;
  }

  private pickFault(endpoint: SimEndpoint, now: number): InjectedFault | undefined {
    if (this.isRateLimited(endpoint, now)) return { status: 429, applied: false, source: 'rateLimit' };
    const next = this.takeFailNext(endpoint);
    if (next) return { status: next.status, applied: next.applied, source: 'failNext' };
    return this.drawFault(endpoint);
  }

  /** One draw of the random rule for a request to `endpoint`. */
  private drawFault(endpoint: SimEndpoint): InjectedFault | undefined {
    if (!this.faultRate) return undefined;
    const { rule, rng } = this.faultRate;
    if (rule.endpoints !== 'any' && !rule.endpoints.includes(endpoint)) return undefined;
    if (!rng.chance(rule.rate)) return undefined;
    const status = rng.pick(rule.statuses);
    // Drawn for every fault, so whether one is applied does not shift the faults after it.
    const appliedDraw = rng.chance(rule.appliedShare);
    const applied = appliedDraw && status !== 429 && MUTATING_ENDPOINTS.includes(endpoint);
    return { status, applied, source: 'faultRate' };
  }

  reset(): void {
    this.failNext = [];
    this.rateLimits.clear();
    this.nextCreate = { offerGone: false, hostFailure: false };
    this.faultRate = null;
    this.counts = emptyCounts();
  }

  describe(): {
    failNext: FailNextRule[];
    rateLimits: RateLimitRule[];
    nextCreate: NextCreateInjections;
    faultRate: FaultRateRule | null;
    faults: FaultCounts;
  } {
    const c = this.counts;
    return {
      failNext: this.failNext.map((r) => ({ ...r })),
      rateLimits: [...this.rateLimits].map(([endpoint, l]) => ({ endpoint, minIntervalMs: l.minIntervalMs })),
      nextCreate: { ...this.nextCreate },
      faultRate: this.faultRate ? copyRule(this.faultRate.rule) : null,
      faults: {
        ...c,
        byStatus: { ...c.byStatus },
        byEndpoint: { ...c.byEndpoint },
        bySource: { ...c.bySource },
      },
    };
  }
}

function emptyCounts(): FaultCounts {
  return {
    total: 0,
    applied: 0,
    byStatus: {},
    byEndpoint: {},
    bySource: { failNext: 0, rateLimit: 0, faultRate: 0 },
  };
}

function copyRule(rule: FaultRateRule): FaultRateRule {
  return {
    ...rule,
    endpoints: rule.endpoints === 'any' ? 'any' : [...rule.endpoints],
    statuses: [...rule.statuses],
  };
}

/** A number from 0 to 1; `what` says what it is a share of, for the refusal. */
function shareOf(raw: unknown, name: string, what: string): number {
  const value = typeof raw === 'number' ? raw : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw invalidArgs(`${name} must be a number from 0 to 1 (${what}), not ${JSON.stringify(raw ?? null)}.`);
  }
  return value;
}

function endpointsOf(raw: unknown): SimEndpoint[] | 'any' {
  if (raw === undefined || raw === 'any') return 'any';
  const known = `any, or a list of ${SIM_ENDPOINTS.join(', ')}`;
  if (!Array.isArray(raw) || raw.length === 0) throw invalidArgs(`endpoints must be ${known}.`);
  const unknown = raw.filter((e) => !(SIM_ENDPOINTS as readonly unknown[]).includes(e));
  if (unknown.length > 0) {
    throw invalidArgs(
      `endpoints has ${unknown.map((e) => JSON.stringify(e)).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not an API call; endpoints must be ${known}.`,
    );
  }
  return [...new Set(raw as SimEndpoint[])];
}

function statusesOf(raw: unknown): FailStatus[] {
  if (raw === undefined) return [...FAIL_STATUSES];
  const allowed = `a non-empty list of ${FAIL_STATUSES.join(', ')}`;
  if (!Array.isArray(raw) || raw.length === 0) throw invalidArgs(`statuses must be ${allowed}.`);
  const refused = raw.filter((s) => !(FAIL_STATUSES as readonly unknown[]).includes(s));
  if (refused.length > 0) {
    throw invalidArgs(
      `statuses has ${refused.map((s) => JSON.stringify(s)).join(', ')}; injected faults answer only ${FAIL_STATUSES.join(', ')}.`,
    );
  }
  return [...(raw as FailStatus[])];
}
