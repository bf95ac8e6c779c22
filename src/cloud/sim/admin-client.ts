import type {
  FailNextRule,
  FailStatus,
  FailTarget,
  FaultRateRule,
  RateLimitRule,
} from './failure-injector.ts';
import type {
  FaultRateInput,
  HostFailureResult,
  HostFailureTarget,
  OfferGoneResult,
  OfferGoneTarget,
  SimStateView,
} from './sim-admin.ts';

/**
 * Typed calls of the simulator's admin endpoints over HTTP, for tests whose gpuops runs in
 * another process. `adminUrl` is `Simulator.adminUrl` (".../admin").
 */

export type {
  FaultRateInput,
  FaultRateRule,
  HostFailureResult,
  HostFailureTarget,
  OfferGoneResult,
  OfferGoneTarget,
  SimStateView,
};

async function call<T>(adminUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = `${adminUrl.replace(/\/+$/, '')}/${path}`;
  const response = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as { msg?: string }).msg ?? text;
    } catch {
      // Not JSON: the text is the message.
    }
    throw new Error(`Simulator admin ${method} /${path} answered HTTP ${response.status}: ${msg}`);
  }
  return JSON.parse(text) as T;
}

/** The next `count` (default 1) requests to `endpoint` answer `status` instead of their result. */
export async function failNext(
  adminUrl: string,
  rule: { endpoint: FailTarget; status: FailStatus; count?: number; applied?: boolean },
): Promise<FailNextRule> {
  return (await call<{ rule: FailNextRule }>(adminUrl, 'POST', 'fail-next', rule)).rule;
}

/** Requests to `endpoint` closer together than `minIntervalMs` answer 429; 0 lifts the limit. */
export async function setRateLimit(
  adminUrl: string,
  rule: { endpoint: FailTarget; minIntervalMs: number },
): Promise<RateLimitRule> {
  return (await call<{ rule: RateLimitRule }>(adminUrl, 'POST', 'rate-limit', rule)).rule;
}

/**
 * A share `rate` (0 to 1) of API requests, to every call or only `endpoints`, answer a random
 * status of `statuses`; a share `appliedShare` of those on create, start, stop and destroy do the
 * work and lose only the answer. Seeded (the market's seed unless `seed` is given), so a run is
 * reproducible; setting the rule again restarts its sequence, and rate 0 stops it.
 */
export async function setFaultRate(adminUrl: string, rule: FaultRateInput): Promise<FaultRateRule> {
  return (await call<{ rule: FaultRateRule }>(adminUrl, 'POST', 'fault-rate', rule)).rule;
}

/** A machine dies (by instance or machine id), or the next created instance's host dies while loading. */
export function failHost(adminUrl: string, target: HostFailureTarget): Promise<HostFailureResult> {
  return call(adminUrl, 'POST', 'host-failure', target);
}

/** Someone else rents the offer now, or the offer the next create asks for. */
export function makeOfferGone(adminUrl: string, target: OfferGoneTarget): Promise<OfferGoneResult> {
  return call(adminUrl, 'POST', 'offer-gone', target);
}

/** Someone else rents the GPUs a stopped instance was keeping, so its resume fails. */
export function applyMarketPressure(
  adminUrl: string,
  target: { instance_id: number },
): Promise<{ success: true; machine_id: number }> {
  return call(adminUrl, 'POST', 'market-pressure', target);
}

/** Counts, injected failures and every instance, destroyed ones included. */
export function getSimState(adminUrl: string): Promise<SimStateView> {
  return call(adminUrl, 'GET', 'state');
}

/** Clears injected failures and gives back the machines injection took or killed. */
export async function resetFailures(adminUrl: string): Promise<void> {
  await call(adminUrl, 'POST', 'reset');
}
