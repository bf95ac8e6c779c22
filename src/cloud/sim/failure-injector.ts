import { invalidArgs } from './api-error.ts';

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

  reset(): void {
    this.failNext = [];
    this.rateLimits.clear();
    this.nextCreate = { offerGone: false, hostFailure: false };
  }

  describe(): { failNext: FailNextRule[]; rateLimits: RateLimitRule[]; nextCreate: NextCreateInjections } {
    return {
      failNext: this.failNext.map((r) => ({ ...r })),
      rateLimits: [...this.rateLimits].map(([endpoint, l]) => ({ endpoint, minIntervalMs: l.minIntervalMs })),
      nextCreate: { ...this.nextCreate },
    };
  }
}
