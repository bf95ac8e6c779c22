import type { ProviderInstanceStatus } from '../domain/instance-states.ts';
/**
 * What tools and jobs see of a GPU marketplace. `vast/vast-provider.ts` implements it over the
 * vast.ai REST API (and so also against the simulated marketplace, which speaks the same API).
 */

/** Regions people ask for, mapped to ISO country codes by `regions.ts`. */
export type Region = 'north-america' | 'south-america' | 'europe' | 'asia' | 'oceania' | 'africa';

export interface OfferQuery {
  /** Marketplace GPU names (`gpu_name`), any of which is acceptable. */
  gpuNames?: string[];
  /** Exact number of GPUs in the offer. */
  numGpus?: number;
  /** At least this many GPUs in the offer (ignored when numGpus is set). */
  minNumGpus?: number;
  /** Only this offer (to rent exactly what was recommended, if it is still there). */
  offerId?: number;
  /** Ceiling on the offer's total price per hour (all GPUs, storage included). */
  maxPricePerHour?: number;
  /** Minimum memory per GPU, GB. */
  minGpuRamGb?: number;
  /** Country codes the machine may be in (from a Region or given directly). */
  countries?: string[];
  minReliability?: number;
  minCudaVersion?: number;
  /** Disk the instance will be created with; offers with less free disk are left out. */
  diskGb?: number;
  /** Default: price ascending. */
  order?: 'price' | 'reliability' | 'performance_per_dollar';
  /** Default 20, at most 1000. */
  limit?: number;
}

export interface Offer {
  id: number;
  machineId: number;
  hostId: number;
  gpuName: string;
  numGpus: number;
  gpuRamGb: number;
  /** Total price per hour for the whole offer (all GPUs and storage), USD. */
  pricePerHour: number;
  reliability: number;
  /** "Oregon, US" */
  location: string;
  /** "US" */
  country: string;
  cudaVersion: number;
  diskGb: number;
  inetDownMbps: number;
  inetUpMbps: number;
  dlperf: number;
  verified: boolean;
}

export interface ProviderInstance {
  id: string;
  machineId: number;
  status: ProviderInstanceStatus;
  intendedStatus: 'running' | 'stopped' | string;
  statusMessage: string | null;
  gpuName: string;
  numGpus: number;
  pricePerHour: number;
  sshHost: string | null;
  sshPort: number | null;
  label: string | null;
  image: string | null;
  diskGb: number;
  /** What its disk costs, USD per GB per month (billed while it exists, paused or not); null when unknown. */
  storageCostPerGbMonth: number | null;
  /** Epoch milliseconds, or null before it started. */
  startedAt: number | null;
}

export interface CreateInstanceRequest {
  offerId: number;
  image: string;
  diskGb: number;
  /** gpuops writes its operation id here so a retried deploy finds the machine it already rented. */
  label: string;
  env?: Record<string, string>;
  onstart?: string;
}

/** The account behind the provider's API key. */
export interface ProviderAccount {
  id: string;
  /** Who it is, for people: an email or user name. */
  owner: string | null;
  /** Prepaid credit left, USD; null when the provider does not say. */
  creditUsd: number | null;
}

export interface GpuProvider {
  readonly name: string;
  /** Who the API key belongs to and how much credit is left (checks the key, too). */
  account(): Promise<ProviderAccount>;
  searchOffers(query: OfferQuery): Promise<Offer[]>;
  /** Rents the offer. Returns the provider's instance id. */
  createInstance(request: CreateInstanceRequest): Promise<string>;
  /** Null when the instance no longer exists. */
  getInstance(id: string): Promise<ProviderInstance | null>;
  listInstances(): Promise<ProviderInstance[]>;
  startInstance(id: string): Promise<void>;
  stopInstance(id: string): Promise<void>;
  destroyInstance(id: string): Promise<void>;
  /** Adds an SSH public key (OpenSSH format) to the account; new instances accept it. */
  registerSshKey(publicKey: string): Promise<void>;
}

/** Hours in a billing month, as marketplaces convert monthly storage prices (730 = 8760 / 12). */
const HOURS_PER_MONTH = 730;

/**
 * What a machine's disk costs per hour: billed while it exists, paused or running, so a pause
 * saves the machine's price less this. Null when the provider does not say.
 */
export function diskCostPerHour(
  diskGb: number,
  storageCostPerGbMonth: number | null | undefined,
): number | null {
  return storageCostPerGbMonth == null ? null : (diskGb * storageCostPerGbMonth) / HOURS_PER_MONTH;
}
