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
 * another process. The admin API wants the key its simulator made at start (`Simulator.adminKey`,
 * or the one `gpuops sim` leaves in `<data dir>/sim/admin-key`), as `Authorization: Bearer <key>`.
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

/** Where a simulator's admin API is and its key; a `Simulator` is one. */
export interface SimAdminAccess {
  /** ".../admin" */
  adminUrl: string;
  adminKey: string;
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

async function call<T>(
  target: SimAdminAccess,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const adminUrl = trimUrl(target.adminUrl);
  const headers: Record<string, string> = { authorization: `Bearer ${target.adminKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${adminUrl}/${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    // A simulator that hangs must fail the caller, not stall it.
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as { msg?: string }).msg ?? text;
    } catch {
      // Not JSON: the text is the message.
    }
    const hint =
      response.status === 401
        ? ' (check the admin key: gpuops sim leaves it in <data dir>/sim/admin-key, new at every start)'
        : '';
    throw new Error(`Simulator admin ${method} /${path} answered HTTP ${response.status}: ${msg}${hint}`);
  }
  return JSON.parse(text) as T;
}

/** The next `count` (default 1) requests to `endpoint` answer `status` instead of their result. */
export async function failNext(
  admin: SimAdminAccess,
  rule: { endpoint: FailTarget; status: FailStatus; count?: number; applied?: boolean },
): Promise<FailNextRule> {
  return (await call<{ rule: FailNextRule }>(admin, 'POST', 'fail-next', rule)).rule;
}

/** Requests to `endpoint` closer together than `minIntervalMs` answer 429; 0 lifts the limit. */
export async function setRateLimit(
  admin: SimAdminAccess,
  rule: { endpoint: FailTarget; minIntervalMs: number },
): Promise<RateLimitRule> {
  return (await call<{ rule: RateLimitRule }>(admin, 'POST', 'rate-limit', rule)).rule;
}

/**
 * A share `rate` (0 to 1) of API requests, to every call or only `endpoints`, answer a random
 * status of `statuses`; a share `appliedShare` of those on create, start, stop and destroy do the
 * work and lose only the answer. Seeded (the market's seed unless `seed` is given), so a run is
 * reproducible; setting the rule again restarts its sequence, and rate 0 stops it.
 */
export async function setFaultRate(admin: SimAdminAccess, rule: FaultRateInput): Promise<FaultRateRule> {
  return (await call<{ rule: FaultRateRule }>(admin, 'POST', 'fault-rate', rule)).rule;
}

/** A machine dies (by instance or machine id), or the next created instance's host dies while loading. */
export function failHost(admin: SimAdminAccess, target: HostFailureTarget): Promise<HostFailureResult> {
  return call(admin, 'POST', 'host-failure', target);
}

/** Someone else rents the offer now, or the offer the next create asks for. */
export function makeOfferGone(admin: SimAdminAccess, target: OfferGoneTarget): Promise<OfferGoneResult> {
  return call(admin, 'POST', 'offer-gone', target);
}

/** Someone else rents the GPUs a stopped instance was keeping, so its resume fails. */
export function applyMarketPressure(
  admin: SimAdminAccess,
  target: { instance_id: number },
): Promise<{ success: true; machine_id: number }> {
  return call(admin, 'POST', 'market-pressure', target);
}

/** Counts, injected failures and every instance, destroyed ones included. */
export function getSimState(admin: SimAdminAccess): Promise<SimStateView> {
  return call(admin, 'GET', 'state');
}

/** Clears injected failures and gives back the machines injection took or killed. */
export async function resetFailures(admin: SimAdminAccess): Promise<void> {
  await call(admin, 'POST', 'reset');
}
