import { generateValidPair } from '../ssh/ssh-keys.ts';
import { invalidArgs, SimApiError } from './api-error.ts';
import { InstanceContainers, type InstanceContainersOptions } from './instance-containers.ts';
import type { InstanceRecord, InstanceRequest, Transition } from './instance-record.ts';
import { type AdminInstanceView, adminInstanceView, instanceWire } from './instance-wire.ts';
import { LifecycleTiming } from './lifecycle-timing.ts';
import { instancePrice, type Market } from './market.ts';
import { SerialQueue } from './serial-queue.ts';
import { TransitionTimers } from './transition-timers.ts';
import type { VastInstanceWire } from './wire-types.ts';

const FIRST_INSTANCE_ID = 20_000_001;

export interface CreateInstanceInput extends InstanceRequest {
  offerId: number;
}

export interface StateChangeResult {
  success: boolean;
  error?: string;
  msg: string;
}

export interface InstanceRegistryOptions extends InstanceContainersOptions {
  market: Market;
  timeScale: number;
  /** Called after every change worth persisting. */
  onChange: () => void;
}

export interface InstanceRegistrySnapshot {
  nextId: number;
  instances: InstanceRecord[];
}

/**
 * The account's instances and their lifecycle over scaled time. State changes are scheduled as
 * timestamped transitions and applied in order, both by timers and at the start of every
 * operation, so a read always sees exactly the state its moment calls for, whatever the timer
 * jitter. Every operation runs through one queue (see SerialQueue).
 *
 * The registry is the state machine and the one entry point; what an instance does on this
 * machine (folders, SSH, onstart) is InstanceContainers', and how it is shown is instance-wire.ts'.
 */
export class InstanceRegistry {
  private readonly records = new Map<number, InstanceRecord>();
  private readonly containers: InstanceContainers;
  private readonly timers: TransitionTimers;
  private readonly timing: LifecycleTiming;
  private readonly queue = new SerialQueue();
  private nextId = FIRST_INSTANCE_ID;
  private closed = false;

  constructor(private readonly o: InstanceRegistryOptions) {
    this.containers = new InstanceContainers(o);
    this.timing = new LifecycleTiming(o.timeScale);
    this.timers = new TransitionTimers((instanceId) => {
      this.queue
        .run(() => this.advance())
        .catch((err: unknown) => this.o.logger.error({ err, instanceId }, 'sim lifecycle step failed'));
    });
  }

  /** Runs an operation after bringing every instance up to date. */
  run<T>(operation: (now: number) => Promise<T> | T): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed)
        throw new SimApiError(503, 'shutting_down', 'The simulated marketplace is shutting down.');
      await this.advance();
      return operation(Date.now());
    });
  }

  create(input: CreateInstanceInput, inject: { offerGone: boolean; hostFailure: boolean }): Promise<number> {
    return this.run(async (now) => {
      const { market } = this.o;
      const spec = market.offer(input.offerId);
      const gone = () =>
        new SimApiError(410, 'no_such_ask', `Instance type by id ${input.offerId} is not available.`);
      if (!spec) throw gone();
      if (inject.offerGone && market.isAvailable(spec.machineId, now)) {
        market.rent(spec.machineId, { kind: 'external' });
        this.o.onChange();
      }
      if (!market.isAvailable(spec.machineId, now)) throw gone();
      if (input.disk > spec.listing.disk_space) {
        throw invalidArgs(
          `disk ${input.disk} GB is more than the ${spec.listing.disk_space} GB machine ${spec.machineId} has free.`,
        );
      }
      if (input.bidPrice !== null && input.bidPrice < spec.minBid) {
        throw invalidArgs(`price ${input.bidPrice} is below this offer's min_bid of ${spec.minBid}.`);
      }

      const id = this.nextId++;
      // Files first: if they cannot be made, nothing has been rented.
      await this.containers.prepare(id, {
        model: spec.model,
        numGpus: spec.numGpus,
        memoryMb: spec.listing.gpu_ram,
        driverVersion: spec.listing.driver_version,
        cudaVersion: spec.listing.cuda_max_good,
        instanceId: id,
      });
      const price = instancePrice(spec, input.disk, input.bidPrice ?? undefined);
      const offer = market.offerWire(spec, now, input.disk, input.bidPrice === null ? 'on-demand' : 'bid');
      market.rent(spec.machineId, { kind: 'instance', instanceId: id, releasableAt: null });
      const record: InstanceRecord = {
        id,
        offerId: spec.offerId,
        machineId: spec.machineId,
        offer,
        image: input.image,
        env: input.env,
        disk: input.disk,
        label: input.label,
        onstart: input.onstart,
        runtype: input.runtype,
        args: input.args,
        bidPrice: input.bidPrice,
        dphBase: price.dphBase,
        dphTotal: price.dphTotal,
        createdAt: now,
        startDate: null,
        actualStatus: null,
        intendedStatus: 'running',
        statusMsg: null,
        pending: [],
        queuedStart: false,
        failWhileLoading: inject.hostFailure,
        hostFailed: false,
        destroyed: false,
        destroyedAt: null,
        // ssh2's generator makes an unparseable key about once in 200; such a host never booted.
        hostKey: generateValidPair().private,
      };
      this.records.set(id, record);
      this.schedule(record, this.timing.boot(now));
      this.o.logger.info(
        { instanceId: id, offerId: spec.offerId, gpu: spec.model.marketName },
        'sim instance created',
      );
      this.o.onChange();
      return id;
    });
  }

  /** The instance as the API shows it, or null when it does not exist (any more). */
  show(id: number): Promise<VastInstanceWire | null> {
    return this.run(() => {
      const r = this.records.get(id);
      return r && !r.destroyed ? this.toWire(r) : null;
    });
  }

  /** The account's instances, oldest first. */
  list(): Promise<VastInstanceWire[]> {
    return this.run(() => [...this.records.values()].filter((r) => !r.destroyed).map((r) => this.toWire(r)));
  }

  /** Every instance ever created, destroyed ones included. */
  adminView(): Promise<AdminInstanceView[]> {
    return this.run(() => [...this.records.values()].map((r) => this.toAdminView(r)));
  }

  setLabel(id: number, label: string): Promise<void> {
    return this.run(() => {
      this.live(id).label = label;
      this.o.onChange();
    });
  }

  /**
   * Asks for a state. Stop: the instance stops a few (scaled) seconds later and keeps its GPUs
   * for a while (BASE_DELAYS_MS.stoppedHold, in lifecycle-timing.ts). Start: runs again only if
   * its machine's GPUs are still its own or free; otherwise, as on vast.ai, the answer is
   * `success: false` with "Required resources are currently unavailable" and the start is queued
   * until the GPUs come free, unless `cancelUnavail` asks for no queueing.
   */
  changeState(id: number, state: 'running' | 'stopped', cancelUnavail: boolean): Promise<StateChangeResult> {
    return this.run((now) => (state === 'stopped' ? this.stop(id, now) : this.start(id, now, cancelUnavail)));
  }

  destroy(id: number): Promise<void> {
    return this.run(async (now) => {
      const r = this.live(id);
      r.pending = [];
      this.disarm(r.id);
      await this.bringDown(r);
      r.destroyed = true;
      r.destroyedAt = now;
      r.queuedStart = false;
      if (this.o.market.release(r.machineId, r.id)) this.machineFreed(r.machineId, now);
      await this.containers.remove(r.id);
      this.o.logger.info({ instanceId: id }, 'sim instance destroyed');
      this.o.onChange();
    });
  }

  /** The host of the instance's machine dies. Returns the machine and the instances that went offline. */
  failHostOfInstance(instanceId: number): Promise<{ machineId: number; instanceIds: number[] }> {
    return this.run(async (now) => {
      const r = this.live(instanceId);
      return { machineId: r.machineId, instanceIds: await this.failMachine(r.machineId, now) };
    });
  }

  failMachineNow(machineId: number): Promise<{ machineId: number; instanceIds: number[] }> {
    return this.run(async (now) => {
      if (!this.o.market.machine(machineId)) {
        throw new SimApiError(404, 'no_such_machine', `There is no machine ${machineId}.`);
      }
      return { machineId, instanceIds: await this.failMachine(machineId, now) };
    });
  }

  /** Someone else rents the GPUs a stopped instance was keeping; its resume will then fail. */
  takeGpusOf(instanceId: number): Promise<{ machineId: number }> {
    return this.run(() => {
      const r = this.live(instanceId);
      if (r.hostFailed)
        throw new SimApiError(409, 'invalid_state', `Instance ${instanceId}'s host is offline.`);
      if (r.actualStatus !== 'stopped') {
        throw new SimApiError(
          409,
          'invalid_state',
          `Instance ${instanceId} is ${r.actualStatus ?? 'provisioning'}; only a stopped instance's GPUs can be taken.`,
        );
      }
      const h = this.o.market.holder(r.machineId);
      // Already another renter's (possibly another of the account's instances): nothing to take.
      if (!h || (h.kind === 'instance' && h.instanceId === r.id)) {
        this.o.market.rent(r.machineId, { kind: 'external' });
        this.o.onChange();
      }
      return { machineId: r.machineId };
    });
  }

  /** Someone else rents the offer's machine, so search stops listing it and create fails. */
  takeOffer(offerId: number): Promise<{ machineId: number }> {
    return this.run((now) => {
      const spec = this.o.market.offer(offerId);
      if (!spec) throw new SimApiError(404, 'no_such_ask', `There is no offer ${offerId}.`);
      const h = this.o.market.holder(spec.machineId);
      if (h?.kind === 'instance' && !this.o.market.isAvailable(spec.machineId, now)) {
        throw new SimApiError(
          409,
          'invalid_state',
          `Offer ${offerId} is rented by instance ${h.instanceId}; use market-pressure on a stopped instance.`,
        );
      }
      this.o.market.rent(spec.machineId, { kind: 'external' });
      this.o.onChange();
      return { machineId: spec.machineId };
    });
  }

  /** Gives back what failure injection took from the market; queued starts may then run. */
  clearMarketInjections(): Promise<void> {
    return this.run((now) => {
      for (const machineId of this.o.market.clearInjected()) this.machineFreed(machineId, now);
      this.o.onChange();
    });
  }

  snapshot(): InstanceRegistrySnapshot {
    return { nextId: this.nextId, instances: structuredClone([...this.records.values()]) };
  }

  /**
   * Loads persisted instances and brings the running ones back up, with new SSH ports: the
   * simulator was down, the machines were not.
   */
  restore(snapshot: InstanceRegistrySnapshot): Promise<void> {
    return this.run(async () => {
      this.records.clear();
      for (const r of snapshot.instances) this.records.set(r.id, structuredClone(r));
      this.nextId = Math.max(snapshot.nextId, ...snapshot.instances.map((r) => r.id + 1), FIRST_INSTANCE_ID);
      for (const r of this.records.values()) {
        if (r.destroyed) continue;
        if (r.actualStatus === 'running' && !r.hostFailed) {
          await this.containers.keepWorkspace(r.id);
          await this.bringUp(r, r.startDate === null ? Date.now() : r.startDate * 1000);
        }
        this.armTimer(r);
      }
      await this.advance();
    });
  }

  /** Stops timers, SSH endpoints and processes. Records stay as they are, for persistence. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      this.closed = true;
      this.timers.clearAll();
      await this.containers.close();
    });
  }

  /** A live (not destroyed) instance, or the 404 vast.ai answers. */
  private live(id: number): InstanceRecord {
    const r = this.records.get(id);
    if (!r || r.destroyed) throw new SimApiError(404, 'no_such_instance', `Instance ${id} not found.`);
    return r;
  }

  private stop(id: number, now: number): StateChangeResult {
    const r = this.live(id);
    if (r.intendedStatus === 'stopped') return { success: true, msg: `Instance ${id} is already stopping.` };
    r.intendedStatus = 'stopped';
    r.queuedStart = false;
    if (r.hostFailed || r.actualStatus === 'stopped') {
      // Nothing to do on the machine: a start was queued, or the host is gone.
      r.pending = [];
      this.disarm(r.id);
      if (r.actualStatus === 'stopped') {
        r.statusMsg = 'Instance stopped.';
        this.o.market.setReleasableAt(r.machineId, r.id, this.timing.gpusHeldUntil(now));
      }
    } else {
      this.schedule(r, this.timing.stop(now));
    }
    this.o.onChange();
    return { success: true, msg: `Stopping instance ${id}.` };
  }

  private start(id: number, now: number, cancelUnavail: boolean): StateChangeResult {
    const r = this.live(id);
    if (r.intendedStatus === 'running')
      return { success: true, msg: `Instance ${id} is already starting or running.` };
    if (r.hostFailed) {
      r.intendedStatus = 'running';
      this.o.onChange();
      return {
        success: true,
        msg: `Instance ${id}'s host is offline; it will start if the host comes back.`,
      };
    }
    if (r.actualStatus !== 'stopped') {
      // Still stopping: call the stop off and carry on from wherever it is.
      r.intendedStatus = 'running';
      this.scheduleBootFrom(r, now);
      this.o.onChange();
      return { success: true, msg: `Starting instance ${id}.` };
    }
    const { market } = this.o;
    if (!market.holdsGpus(r.machineId, r.id)) {
      if (market.holder(r.machineId) || market.isDead(r.machineId)) {
        if (cancelUnavail) {
          return {
            success: false,
            error: 'resources_unavailable',
            msg: 'Required resources are currently unavailable.',
          };
        }
        r.intendedStatus = 'running';
        r.queuedStart = true;
        r.statusMsg = 'Waiting for the GPUs: another renter holds them; the start is queued.';
        this.o.onChange();
        return {
          success: false,
          error: 'resources_unavailable',
          msg: 'Required resources are currently unavailable, state change queued.',
        };
      }
      market.rent(r.machineId, { kind: 'instance', instanceId: r.id, releasableAt: null });
    }
    this.restartOnMachine(r, now);
    this.o.onChange();
    return { success: true, msg: `Starting instance ${id}.` };
  }

  private restartOnMachine(r: InstanceRecord, now: number): void {
    this.o.market.setReleasableAt(r.machineId, r.id, null);
    r.intendedStatus = 'running';
    r.queuedStart = false;
    r.statusMsg = 'Starting.';
    this.schedule(r, this.timing.restart(now));
  }

  /** Resumes booting an instance whose stop was called off before it took effect. */
  private scheduleBootFrom(r: InstanceRecord, now: number): void {
    if (r.actualStatus === 'running') {
      r.pending = [];
      this.disarm(r.id);
    } else if (r.actualStatus === 'loading') {
      this.schedule(r, this.timing.finishPull(now));
    } else {
      this.schedule(r, this.timing.boot(now));
    }
  }

  /** A machine came free: the oldest instance waiting for it with a queued start gets it. */
  private machineFreed(machineId: number, now: number): void {
    if (this.o.market.isDead(machineId)) return;
    for (const r of this.records.values()) {
      if (r.machineId !== machineId || r.destroyed || r.hostFailed || !r.queuedStart) continue;
      this.o.market.rent(machineId, { kind: 'instance', instanceId: r.id, releasableAt: null });
      this.restartOnMachine(r, now);
      return;
    }
  }

  private async failMachine(machineId: number, now: number): Promise<number[]> {
    this.o.market.kill(machineId);
    const failed: number[] = [];
    for (const r of this.records.values()) {
      if (r.machineId !== machineId || r.destroyed || r.hostFailed) continue;
      r.pending = [];
      this.disarm(r.id);
      await this.bringDown(r);
      r.hostFailed = true;
      r.queuedStart = false;
      r.actualStatus = 'offline';
      r.statusMsg = `Host machine ${machineId} went offline at ${new Date(now).toISOString()} (lost contact with the host); the instance will not come back: destroy it and rent another.`;
      failed.push(r.id);
    }
    if (failed.length > 0) this.o.logger.info({ machineId, instanceIds: failed }, 'sim host failed');
    this.o.onChange();
    return failed;
  }

  private schedule(r: InstanceRecord, transitions: Transition[]): void {
    r.pending = transitions;
    this.armTimer(r);
  }

  private disarm(id: number): void {
    this.timers.clear(id);
  }

  private armTimer(r: InstanceRecord): void {
    this.disarm(r.id);
    const next = r.pending[0];
    if (!next || this.closed) return;
    this.timers.set(r.id, next.at);
  }

  /** Applies every transition that is due, in time order per instance. */
  private async advance(): Promise<void> {
    if (this.closed) return;
    const now = Date.now();
    for (const r of this.records.values()) {
      let moved = false;
      while (r.pending[0] && r.pending[0].at <= now && !r.destroyed) {
        const t = r.pending.shift()!;
        await this.apply(r, t);
        moved = true;
      }
      if (moved) {
        this.armTimer(r);
        this.o.onChange();
      }
    }
  }

  private async apply(r: InstanceRecord, t: Transition): Promise<void> {
    switch (t.to) {
      case 'loading':
        r.actualStatus = 'loading';
        r.statusMsg =
          r.startDate === null ? `Pulling image ${r.image}` : `Starting container from ${r.image}`;
        if (r.failWhileLoading) {
          r.failWhileLoading = false;
          r.pending = this.timing.hostFailureDuringPull(t.at);
        }
        return;
      case 'running':
        await this.bringUp(r, t.at);
        return;
      case 'stopped':
        await this.bringDown(r);
        r.actualStatus = 'stopped';
        r.statusMsg = 'Instance stopped.';
        this.o.market.setReleasableAt(r.machineId, r.id, this.timing.gpusHeldUntil(t.at));
        return;
      case 'host-failure':
        await this.failMachine(r.machineId, t.at);
        return;
    }
  }

  private async bringUp(r: InstanceRecord, at: number): Promise<void> {
    try {
      await this.containers.start(r, at);
    } catch (err) {
      this.o.logger.error({ err, instanceId: r.id }, 'sim could not start the SSH endpoint');
      r.actualStatus = 'exited';
      r.statusMsg = `Container exited: ${(err as Error).message}`;
      return;
    }
    r.actualStatus = 'running';
    r.statusMsg = `success, running ${r.image}`;
    r.startDate ??= Math.floor(at / 1000);
    if (r.onstart) this.containers.runOnstart(r, r.onstart);
  }

  private bringDown(r: InstanceRecord): Promise<void> {
    return this.containers.stop(r);
  }

  private toWire(r: InstanceRecord): VastInstanceWire {
    return instanceWire(r, this.containers.endpoint(r.id), Date.now());
  }

  private toAdminView(r: InstanceRecord): AdminInstanceView {
    return adminInstanceView(r, this.toWire(r), this.o.market.holdsGpus(r.machineId, r.id));
  }
}
