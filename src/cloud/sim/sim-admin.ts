import { invalidArgs } from './api-error.ts';
import type {
  FailNextRule,
  FailStatus,
  FailureInjector,
  FaultCounts,
  FaultRateRule,
  NextCreateInjections,
  RateLimitRule,
  SimEndpoint,
} from './failure-injector.ts';
import type { InstanceRegistry } from './instance-registry.ts';
import type { AdminInstanceView } from './instance-wire.ts';
import type { Market, MarketStats } from './market.ts';
import type { SshKeyring } from './ssh-keyring.ts';

/** What GET /admin/state answers. */
export interface SimStateView {
  success: true;
  /** Epoch ms on the simulator's clock. */
  now: number;
  seed: number;
  timeScale: number;
  counts: {
    /** Every instance ever created. */
    instances: number;
    active: number;
    destroyed: number;
    /** Active instances whose actual_status is running. */
    running: number;
    /** Active instances by actual_status ("provisioning" for null). */
    byStatus: Record<string, number>;
    sshKeys: number;
  };
  market: MarketStats;
  injected: {
    failNext: FailNextRule[];
    rateLimits: RateLimitRule[];
    nextCreate: NextCreateInjections;
    /** The random fault rule in force, if any. */
    faultRate: FaultRateRule | null;
    /** Failures injected since the last reset, whatever injected them. */
    faults: FaultCounts;
  };
  /** Oldest first, destroyed ones included (with `destroyed: true`). */
  instances: AdminInstanceView[];
}

/** What POST /admin/fault-rate takes; everything but `rate` has a default (see FaultRateRule). */
export interface FaultRateInput {
  rate: number;
  endpoints?: readonly SimEndpoint[] | 'any';
  statuses?: readonly FailStatus[];
  appliedShare?: number;
  seed?: number;
}

export type HostFailureTarget = { instance_id: number } | { machine_id: number } | { on: 'next-create' };
export type OfferGoneTarget = { offer_id: number } | { on: 'next-create' };

export type HostFailureResult =
  | { success: true; machine_id: number; instance_ids: number[] }
  | { success: true; armed: 'next-create' };
export type OfferGoneResult = { success: true; machine_id: number } | { success: true; armed: 'next-create' };

/**
 * Failure injection and inspection, for tests and demos. The same object serves the HTTP admin
 * endpoints (for tests whose workers run in child processes) and in-process callers.
 */
export interface SimAdmin {
  failNext(rule: { endpoint?: string; status?: number; count?: number; applied?: boolean }): FailNextRule;
  rateLimit(rule: { endpoint?: string; minIntervalMs?: number }): RateLimitRule;
  /** A share of API requests fail at random (seeded: the market's seed unless one is given); rate 0 stops it. */
  faultRate(rule: FaultRateInput): FaultRateRule;
  hostFailure(target: HostFailureTarget): Promise<HostFailureResult>;
  offerGone(target: OfferGoneTarget): Promise<OfferGoneResult>;
  marketPressure(target: { instance_id: number }): Promise<{ success: true; machine_id: number }>;
  state(): Promise<SimStateView>;
  /** Clears pending injections and gives back machines that injection took or killed. */
  reset(): Promise<void>;
}

function idField(body: Record<string, unknown>, key: string): number | undefined {
  const raw = body[key];
  if (raw === undefined || raw === null) return undefined;
  const n = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
    throw invalidArgs(`${key} must be a positive whole number.`);
  return n;
}

export function createSimAdmin(deps: {
  market: Market;
  registry: InstanceRegistry;
  injector: FailureInjector;
  keyring: SshKeyring;
  timeScale: number;
}): SimAdmin {
  const { market, registry, injector, keyring } = deps;
  return {
    failNext: (rule) => injector.addFailNext(rule),
    rateLimit: (rule) => injector.setRateLimit(rule),
    faultRate: (rule) => injector.setFaultRate(rule, market.seed),

    async hostFailure(target) {
      const body = target as Record<string, unknown>;
      if (body.on === 'next-create') {
        injector.armNextCreate('hostFailure');
        return { success: true, armed: 'next-create' };
      }
      const instanceId = idField(body, 'instance_id');
      const machineId = idField(body, 'machine_id');
      const result =
        instanceId !== undefined
          ? await registry.failHostOfInstance(instanceId)
          : machineId !== undefined
            ? await registry.failMachineNow(machineId)
            : null;
      if (!result) throw invalidArgs('Give instance_id, machine_id or on: "next-create".');
      return { success: true, machine_id: result.machineId, instance_ids: result.instanceIds };
    },

    async offerGone(target) {
      const body = target as Record<string, unknown>;
      if (body.on === 'next-create') {
        injector.armNextCreate('offerGone');
        return { success: true, armed: 'next-create' };
      }
      const offerId = idField(body, 'offer_id');
      if (offerId === undefined) throw invalidArgs('Give offer_id or on: "next-create".');
      const { machineId } = await registry.takeOffer(offerId);
      return { success: true, machine_id: machineId };
    },

    async marketPressure(target) {
      const instanceId = idField(target as Record<string, unknown>, 'instance_id');
      if (instanceId === undefined) throw invalidArgs('Give instance_id.');
      const { machineId } = await registry.takeGpusOf(instanceId);
      return { success: true, machine_id: machineId };
    },

    async state() {
      const instances = await registry.adminView();
      const now = Date.now();
      const active = instances.filter((i) => !i.destroyed);
      const byStatus: Record<string, number> = {};
      for (const i of active) {
        const status = i.actual_status ?? 'provisioning';
        byStatus[status] = (byStatus[status] ?? 0) + 1;
      }
      return {
        success: true,
        now,
        seed: market.seed,
        timeScale: deps.timeScale,
        counts: {
          instances: instances.length,
          active: active.length,
          destroyed: instances.length - active.length,
          running: byStatus.running ?? 0,
          byStatus,
          sshKeys: keyring.size,
        },
        market: market.stats(now),
        injected: injector.describe(),
        instances,
      };
    },

    async reset() {
      injector.reset();
      await registry.clearMarketInjections();
    },
  };
}
