import { GPU_CATALOG, type GpuModel } from '../gpu-catalog.ts';
import { matchesAll, type OfferSearch, sortRecords } from './offer-query.ts';
import { createRng, type Rng } from './prng.ts';
import type { VastOfferWire } from './wire-types.ts';

/**
 * The simulated market: machines generated from a seed, each listed as one offer (vast.ai calls
 * it an ask) for all of its GPUs, and who holds each machine right now. Renting an offer takes
 * the whole machine until the instance is destroyed; a stopped instance keeps it for a while and
 * then lets it go back on the market, where anyone (the user again, or "someone else" through the
 * admin API) may take it, after which that stopped instance cannot resume.
 */

/** Everything about a machine that does not change while the simulator runs. */
export interface MachineSpec {
  offerId: number;
  machineId: number;
  hostId: number;
  model: GpuModel;
  numGpus: number;
  /** USD per hour for all GPUs, before storage. */
  dphBase: number;
  /** USD per GB-month of disk. */
  storageCost: number;
  minBid: number;
  geolocation: string;
  country: string;
  /** The offer as listed with vast.ai's default 5 GiB of storage, on demand, free. */
  listing: VastOfferWire;
}

export type MachineHolder =
  /** `releasableAt` (epoch ms) is set while the instance is stopped: from then on others may rent it. */
  { kind: 'instance'; instanceId: number; releasableAt: number | null } | { kind: 'external' };

export interface MarketSnapshot {
  holders: { machineId: number; holder: MachineHolder }[];
  dead: number[];
}

export interface MarketStats {
  machines: number;
  /** Offers a default search can see now (verified or not). */
  listed: number;
  heldByInstances: number;
  heldByOthers: number;
  dead: number;
}

const HOURS_PER_MONTH = 30 * 24;

const LOCATIONS: readonly (readonly [string, number])[] = [
  ['California, US', 9],
  ['Texas, US', 7],
  ['Oregon, US', 4],
  ['Virginia, US', 5],
  ['New York, US', 4],
  ['Washington, US', 3],
  ['Illinois, US', 3],
  ['Georgia, US', 3],
  ['Florida, US', 3],
  ['Nevada, US', 2],
  ['Utah, US', 2],
  ['Arizona, US', 2],
  ['Ohio, US', 2],
  ['Quebec, CA', 3],
  ['Ontario, CA', 3],
  ['British Columbia, CA', 2],
  ['Bavaria, DE', 3],
  ['Hesse, DE', 3],
  ['Berlin, DE', 2],
  ['North Holland, NL', 3],
  ['Ile-de-France, FR', 2],
  ['England, GB', 3],
  ['Stockholm County, SE', 2],
  ['Uusimaa, FI', 2],
  ['Oslo, NO', 1],
  ['Masovia, PL', 2],
  ['Prague, CZ', 1],
  ['Catalonia, ES', 1],
  ['Lombardy, IT', 1],
  ['Zurich, CH', 1],
  ['Bucharest, RO', 1],
  ['Tokyo, JP', 2],
  ['Seoul, KR', 1],
  ['Taipei, TW', 2],
  ['Hong Kong, HK', 1],
  ['Singapore, SG', 1],
  ['Maharashtra, IN', 1],
  ['New South Wales, AU', 1],
  ['Victoria, AU', 1],
  ['Sao Paulo, BR', 1],
  ['Santiago, CL', 0.5],
  ['Gauteng, ZA', 0.5],
  ['Tel Aviv, IL', 0.5],
  ['Dubai, AE', 0.5],
];

/** CPUs hosts list, with their base clocks in GHz (what vast.ai shows as cpu_ghz). */
const CPU_GHZ: Record<string, number> = {
  'AMD Ryzen 9 5950X 16-Core Processor': 3.4,
  'AMD Ryzen 9 7950X 16-Core Processor': 4.5,
  'Intel Core i9-13900K': 3.0,
  'AMD Ryzen Threadripper PRO 5975WX 32-Cores': 3.6,
  'Intel Xeon E5-2680 v4': 2.4,
  'AMD EPYC 7543 32-Core Processor': 2.8,
  'AMD EPYC 7763 64-Core Processor': 2.45,
  'AMD EPYC 9354 32-Core Processor': 3.25,
  'AMD EPYC 9654 96-Core Processor': 2.4,
  'Intel Xeon Platinum 8480+': 2.0,
  'Intel Xeon Gold 6338': 2.0,
};
const CONSUMER_CPUS = [
  'AMD Ryzen 9 5950X 16-Core Processor',
  'AMD Ryzen 9 7950X 16-Core Processor',
  'Intel Core i9-13900K',
  'AMD Ryzen Threadripper PRO 5975WX 32-Cores',
  'Intel Xeon E5-2680 v4',
];
const SERVER_CPUS = [
  'AMD EPYC 7543 32-Core Processor',
  'AMD EPYC 7763 64-Core Processor',
  'AMD EPYC 9354 32-Core Processor',
  'AMD EPYC 9654 96-Core Processor',
  'Intel Xeon Platinum 8480+',
  'Intel Xeon Gold 6338',
];

/** Highest CUDA version the host driver supports, by architecture: old cards sit on old drivers. */
const CUDA_BY_ARCH: Record<string, readonly number[]> = {
  Pascal: [11.8, 12.0, 12.2, 12.4],
  Volta: [11.8, 12.0, 12.1, 12.2, 12.4, 12.6],
  Turing: [11.8, 12.0, 12.1, 12.2, 12.4, 12.6],
  Ampere: [11.8, 12.0, 12.1, 12.2, 12.4, 12.6, 12.8],
  Ada: [12.0, 12.1, 12.2, 12.4, 12.6, 12.8],
  Hopper: [12.2, 12.4, 12.6, 12.8],
  // Blackwell needs a 570+ driver.
  Blackwell: [12.8],
  CDNA2: [12.2, 12.4, 12.6],
  CDNA3: [12.4, 12.6, 12.8],
};
const DRIVER_BY_CUDA: Record<string, string> = {
  '11.8': '520.61.05',
  '12': '525.85.12',
  '12.1': '530.30.02',
  '12.2': '535.104.05',
  '12.4': '550.54.14',
  '12.6': '560.35.03',
  '12.8': '570.124.04',
};
const PCIE_GEN_BY_ARCH: Record<string, number> = {
  Pascal: 3,
  Volta: 3,
  Turing: 3,
  Ampere: 4,
  Ada: 4,
  Hopper: 5,
  Blackwell: 5,
  CDNA2: 4,
  CDNA3: 5,
};

type MachineClass = 'consumer' | 'workstation' | 'datacenter';

function machineClass(model: GpuModel): MachineClass {
  if (/^(GTX|RTX \d{4})/.test(model.marketName)) return 'consumer';
  if (model.vramGb >= 40 && model.marketName !== 'RTX A6000' && model.marketName !== 'RTX 6000Ada') {
    return 'datacenter';
  }
  return 'workstation';
}

function gpuCountWeights(model: GpuModel, cls: MachineClass): (readonly [number, number])[] {
  if (cls === 'consumer') {
    return [
      [1, 55],
      [2, 25],
      [4, 20],
    ];
  }
  if (cls === 'workstation') {
    return [
      [1, 40],
      [2, 25],
      [4, 25],
      [8, 10],
    ];
  }
  // SXM and similar boards come in 8-GPU baseboards.
  if (model.interconnect !== 'pcie') {
    return [
      [1, 15],
      [2, 15],
      [4, 20],
      [8, 50],
    ];
  }
  return [
    [1, 35],
    [2, 25],
    [4, 25],
    [8, 15],
  ];
}

const round = (n: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
const logUniform = (rng: Rng, min: number, max: number): number =>
  Math.exp(rng.range(Math.log(min), Math.log(max)));

/** Usable memory as the driver reports it, e.g. 24564 MiB for a 24 GB RTX 4090. */
export function reportedGpuRamMb(model: GpuModel): number {
  return model.vramGb * 1024 - Math.ceil(model.vramGb / 2);
}

interface Host {
  hostId: number;
  geolocation: string;
  verified: boolean;
  reliability: number;
  staticIp: boolean;
}

function chooseModels(rng: Rng, count: number): GpuModel[] {
  const models: GpuModel[] = [];
  // Every model appears at least once when there is room, so rare cards are still searchable.
  if (count >= GPU_CATALOG.length) models.push(...GPU_CATALOG);
  const weights = GPU_CATALOG.map((m) => [m, m.abundance] as const);
  while (models.length < count) models.push(rng.weighted(weights));
  for (let i = models.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [models[i], models[j]] = [models[j]!, models[i]!];
  }
  return models;
}

function generateHosts(rng: Rng, count: number): Host[] {
  const hosts: Host[] = [];
  let hostId = rng.int(20_000, 40_000);
  for (let i = 0; i < count; i++) {
    hostId += rng.int(1, 25);
    hosts.push({
      hostId,
      geolocation: rng.weighted(LOCATIONS),
      verified: rng.chance(0.85),
      // Skewed high: most hosts are dependable, a tail is not.
      reliability: 0.999 - 0.19 * rng.next() ** 2.5,
      staticIp: rng.chance(0.4),
    });
  }
  return hosts;
}

/** Generates the machines for a seed. Same seed and count, same machines, field for field. */
export function generateMachines(seed: number, count: number): MachineSpec[] {
  const rng = createRng(seed);
  const models = chooseModels(rng, count);
  const hosts = generateHosts(rng, Math.max(1, Math.round(count / 3)));
  let machineId = rng.int(4_000, 6_000);
  let offerId = 8_000_000 + rng.int(0, 99_999);
  const machines: MachineSpec[] = [];

  for (const model of models) {
    machineId += rng.int(1, 9);
    offerId += rng.int(1, 40);
    const host = rng.pick(hosts);
    const cls = machineClass(model);
    const numGpus = rng.weighted(gpuCountWeights(model, cls));
    const reliability = round(
      Math.max(0.8, Math.min(0.999, host.reliability - Math.abs(rng.normal()) * 0.005)),
      4,
    );

    // Lognormal spread around the typical price, kept within ±35%; shakier hosts ask a bit less.
    const spread = Math.min(1.35, Math.max(0.65, Math.exp(0.17 * rng.normal())));
    const perGpu = model.typicalPricePerHour * spread * (0.92 + 0.4 * (reliability - 0.8));
    const dphBase = round(perGpu * numGpus, 6);
    const storageCost = round(rng.range(0.05, 0.3), 3);
    const minBid = round(dphBase * rng.range(0.3, 0.6), 6);

    const cudaChoices = CUDA_BY_ARCH[model.arch] ?? [12.2, 12.4];
    // Newer drivers are more common than old ones.
    const cuda = rng.weighted(cudaChoices.map((v, i) => [v, (i + 1) ** 2] as const));
    const pciGen = PCIE_GEN_BY_ARCH[model.arch] ?? 4;
    const datacenter = cls === 'datacenter';
    const inetDown = round(logUniform(rng, datacenter ? 1_000 : 100, 10_000), 1);
    const cpuCoresPerGpu = datacenter ? rng.pick([16, 24, 32]) : rng.pick([4, 6, 8, 12, 16]);
    const cpuRamGbPerGpu = datacenter ? rng.pick([128, 192, 256]) : rng.pick([16, 32, 64]);
    const dlperf = round(
      (0.25 * model.fp16Tflops + 0.02 * model.memBandwidthGBs) * numGpus ** 0.93 * rng.range(0.92, 1.05),
      2,
    );
    const gpuRam = reportedGpuRamMb(model);
    const country = host.geolocation.slice(host.geolocation.lastIndexOf(',') + 1).trim();
    const storageHourly = (storageCost * 5) / HOURS_PER_MONTH;
    const dphTotal = round(dphBase + storageHourly, 6);

    const listing: VastOfferWire = {
      id: offerId,
      ask_contract_id: offerId,
      bundle_id: offerId,
      machine_id: machineId,
      host_id: host.hostId,
      gpu_name: model.marketName,
      num_gpus: numGpus,
      gpu_frac: 1,
      gpu_ram: gpuRam,
      gpu_total_ram: gpuRam * numGpus,
      gpu_mem_bw: round(model.memBandwidthGBs * rng.range(0.82, 0.95), 1),
      gpu_arch: model.arch.startsWith('CDNA') ? 'amd' : 'nvidia',
      compute_cap: Math.round(model.computeCap * 100),
      cuda_max_good: cuda,
      driver_version: DRIVER_BY_CUDA[String(cuda)] ?? '550.54.14',
      total_flops: round((model.fp16Tflops / 2) * numGpus, 2),
      dlperf,
      dlperf_per_dphtotal: round(dlperf / dphTotal, 4),
      dph_base: dphBase,
      dph_total: dphTotal,
      min_bid: minBid,
      is_bid: false,
      storage_cost: storageCost,
      storage_total_cost: round(storageHourly, 6),
      inet_down: inetDown,
      inet_up: round(inetDown * rng.range(0.3, 1), 1),
      inet_down_cost: rng.chance(0.6) ? 0 : round(rng.range(0.001, 0.02), 4),
      inet_up_cost: rng.chance(0.6) ? 0 : round(rng.range(0.001, 0.02), 4),
      reliability,
      reliability2: reliability,
      score: 0,
      geolocation: host.geolocation,
      disk_space: round(logUniform(rng, datacenter ? 200 : 50, 2_000), 1),
      disk_bw: round(rng.range(500, 6_000), 1),
      cpu_name: rng.pick(datacenter ? SERVER_CPUS : CONSUMER_CPUS),
      cpu_ghz: 0,
      cpu_arch: 'amd64',
      cpu_cores: cpuCoresPerGpu * numGpus,
      cpu_cores_effective: cpuCoresPerGpu * numGpus,
      cpu_ram: Math.round(cpuRamGbPerGpu * numGpus * 1024 * rng.range(0.95, 0.99)),
      pci_gen: pciGen,
      pcie_bw: round(3.1 * 2 ** (pciGen - 2) * rng.range(0.6, 1), 1),
      direct_port_count: rng.int(10, 200),
      static_ip: host.staticIp,
      hosting_type: datacenter && rng.chance(0.6) ? 1 : 0,
      os_version: rng.pick(['20.04', '22.04', '22.04', '24.04']),
      verified: host.verified,
      verification: host.verified ? 'verified' : 'unverified',
      external: rng.chance(0.03),
      rentable: true,
      rented: false,
      duration: Math.round(rng.range(3, 180) * 86_400),
    };
    listing.score = scoreOf(listing);
    listing.cpu_ghz = CPU_GHZ[listing.cpu_name] ?? 0;
    machines.push({
      offerId,
      machineId,
      hostId: host.hostId,
      model,
      numGpus,
      dphBase,
      storageCost,
      minBid,
      geolocation: host.geolocation,
      country,
      listing,
    });
  }
  return machines;
}

/** vast.ai's default ranking: deep-learning performance per dollar, discounted for unreliable hosts. */
function scoreOf(offer: Pick<VastOfferWire, 'dlperf_per_dphtotal' | 'reliability'>): number {
  return round(offer.dlperf_per_dphtotal * offer.reliability ** 2, 4);
}

/** What an instance on this machine costs per hour with `diskGb` of storage, on demand or at a bid. */
export function instancePrice(
  spec: MachineSpec,
  diskGb: number,
  bid?: number,
): { dphBase: number; dphTotal: number; storageHourly: number } {
  const storageHourly = (spec.storageCost * diskGb) / HOURS_PER_MONTH;
  const dphBase = bid ?? spec.dphBase;
  return { dphBase, dphTotal: round(dphBase + storageHourly, 6), storageHourly: round(storageHourly, 6) };
}

export class Market {
  readonly seed: number;
  readonly machines: readonly MachineSpec[];
  private readonly byOffer = new Map<number, MachineSpec>();
  private readonly byMachine = new Map<number, MachineSpec>();
  private readonly holders = new Map<number, MachineHolder>();
  private readonly dead = new Set<number>();

  constructor(seed: number, count: number) {
    this.seed = seed;
    this.machines = generateMachines(seed, count);
    for (const m of this.machines) {
      this.byOffer.set(m.offerId, m);
      this.byMachine.set(m.machineId, m);
    }
  }

  offer(offerId: number): MachineSpec | undefined {
    return this.byOffer.get(offerId);
  }

  machine(machineId: number): MachineSpec | undefined {
    return this.byMachine.get(machineId);
  }

  holder(machineId: number): MachineHolder | undefined {
    return this.holders.get(machineId);
  }

  isDead(machineId: number): boolean {
    return this.dead.has(machineId);
  }

  /** Free to rent: alive, and nobody holds it, or only a stopped instance whose hold has lapsed. */
  isAvailable(machineId: number, now: number): boolean {
    if (this.dead.has(machineId)) return false;
    const h = this.holders.get(machineId);
    return !h || (h.kind === 'instance' && h.releasableAt !== null && now >= h.releasableAt);
  }

  /** Gives the machine to a new holder; returns the one it had, if any. */
  rent(machineId: number, holder: MachineHolder): MachineHolder | undefined {
    const previous = this.holders.get(machineId);
    this.holders.set(machineId, holder);
    return previous;
  }

  /** Lets the machine go if `instanceId` still holds it; true when it did. */
  release(machineId: number, instanceId: number): boolean {
    const h = this.holders.get(machineId);
    if (h?.kind !== 'instance' || h.instanceId !== instanceId) return false;
    this.holders.delete(machineId);
    return true;
  }

  holdsGpus(machineId: number, instanceId: number): boolean {
    const h = this.holders.get(machineId);
    return h?.kind === 'instance' && h.instanceId === instanceId;
  }

  /** While an instance is stopped, from `at` on others may rent its machine; null takes that back. */
  setReleasableAt(machineId: number, instanceId: number, at: number | null): void {
    const h = this.holders.get(machineId);
    if (h?.kind === 'instance' && h.instanceId === instanceId) h.releasableAt = at;
  }

  kill(machineId: number): void {
    this.dead.add(machineId);
  }

  /** Undoes what failure injection did to the market: machines others took, machines that died. */
  clearInjected(): number[] {
    const freed: number[] = [];
    for (const [machineId, h] of this.holders) {
      if (h.kind === 'external') {
        this.holders.delete(machineId);
        freed.push(machineId);
      }
    }
    this.dead.clear();
    return freed;
  }

  search(query: OfferSearch, now: number): VastOfferWire[] {
    const found: VastOfferWire[] = [];
    for (const spec of this.machines) {
      if (this.dead.has(spec.machineId)) continue;
      const offer = this.offerWire(spec, now, query.allocatedStorage, query.type);
      if (matchesAll(offer as unknown as Record<string, unknown>, query.filters)) found.push(offer);
    }
    const sorted = sortRecords(found as unknown as Record<string, unknown>[], query.order);
    return (sorted as unknown as VastOfferWire[]).slice(0, query.limit);
  }

  /** The offer as a search shows it now, priced for `storageGb` of disk. */
  offerWire(
    spec: MachineSpec,
    now: number,
    storageGb = 5,
    type: OfferSearch['type'] = 'on-demand',
  ): VastOfferWire {
    const available = this.isAvailable(spec.machineId, now);
    const bid = type === 'bid';
    const price = instancePrice(spec, storageGb, bid ? spec.minBid : undefined);
    const dlperfPerDollar = round(spec.listing.dlperf / price.dphTotal, 4);
    const offer: VastOfferWire = {
      ...spec.listing,
      dph_base: price.dphBase,
      dph_total: price.dphTotal,
      storage_total_cost: price.storageHourly,
      dlperf_per_dphtotal: dlperfPerDollar,
      is_bid: bid,
      rentable: available,
      rented: !available,
    };
    offer.score = scoreOf(offer);
    return offer;
  }

  stats(now: number): MarketStats {
    let listed = 0;
    let heldByInstances = 0;
    let heldByOthers = 0;
    for (const spec of this.machines) {
      if (this.isAvailable(spec.machineId, now) && !spec.listing.external) listed++;
      const h = this.holders.get(spec.machineId);
      if (h?.kind === 'instance') heldByInstances++;
      else if (h?.kind === 'external') heldByOthers++;
    }
    return { machines: this.machines.length, listed, heldByInstances, heldByOthers, dead: this.dead.size };
  }

  snapshot(): MarketSnapshot {
    return {
      holders: [...this.holders].map(([machineId, holder]) => ({ machineId, holder: { ...holder } })),
      dead: [...this.dead],
    };
  }

  /** Loads a snapshot; entries for machines this seed does not have are dropped. */
  restore(snapshot: MarketSnapshot): void {
    this.holders.clear();
    this.dead.clear();
    for (const { machineId, holder } of snapshot.holders) {
      if (this.byMachine.has(machineId)) this.holders.set(machineId, { ...holder });
    }
    for (const machineId of snapshot.dead) if (this.byMachine.has(machineId)) this.dead.add(machineId);
  }
}
