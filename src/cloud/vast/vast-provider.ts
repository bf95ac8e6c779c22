import type { ProviderInstanceStatus } from '../../domain/instance-states.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { gpuByMarketName } from '../gpu-catalog.ts';
import type {
  CreateInstanceRequest,
  GpuProvider,
  Offer,
  OfferQuery,
  ProviderAccount,
  ProviderInstance,
} from '../provider.ts';
import { VastClient, type VastClientOptions } from './vast-client.ts';
import type { VastInstance, VastOffer, VastSearchQuery } from './vast-schemas.ts';

/**
 * GpuProvider over the vast.ai REST API: translates gpuops' queries and requests into vast.ai's
 * wire vocabulary and its answers back into gpuops' types. Transport, retries and error mapping
 * live in VastClient.
 */

/**
 * Marketplaces report the memory the driver sees, in MiB, which is less than the marketed size:
 * an RTX 4090 ("24 GB") reports 24 564, and cards with ECC on give up 1/16 of it, so an L40S or
 * A40 ("48 GB") reports 46 068 (93.7% of 48 GiB). A "≥ N GB" query therefore asks for at least
 * 92% of N GiB, which keeps every card marketed as N GB and still leaves out the next size down
 * (a 20 GB card against a 24 GB query, a 22 GB modded 2080 Ti against 24 GB).
 */
export const GPU_RAM_TOLERANCE = 0.92;

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

const ORDER: Record<NonNullable<OfferQuery['order']>, [string, 'asc' | 'desc']> = {
  price: ['dph_total', 'asc'],
  reliability: ['reliability', 'desc'],
  performance_per_dollar: ['dlperf_per_dphtotal', 'desc'],
};

/** The smallest `gpu_ram` in MB that counts as a card of at least `gb` marketed GB. */
export function minGpuRamMb(gb: number): number {
  return Math.floor(gb * 1024 * GPU_RAM_TOLERANCE);
}

/** Turns an OfferQuery into the body of `POST /api/v0/bundles/`. */
export function buildVastQuery(query: OfferQuery): VastSearchQuery {
  const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
  const wire: VastSearchQuery = {
    // vast.ai's own defaults, stated so the query means the same whatever the server assumes.
    verified: { eq: true },
    external: { eq: false },
    rentable: { eq: true },
    rented: { eq: false },
    type: 'on-demand',
    order: [ORDER[query.order ?? 'price']],
    limit,
  };
  const gpuNames = [...new Set(query.gpuNames ?? [])];
  if (gpuNames.length === 1) wire.gpu_name = { eq: gpuNames[0]! };
  else if (gpuNames.length > 1) wire.gpu_name = { in: gpuNames };
  if (query.numGpus !== undefined) wire.num_gpus = { eq: query.numGpus };
  else if (query.minNumGpus !== undefined) wire.num_gpus = { gte: query.minNumGpus };
  if (query.offerId !== undefined) wire.id = { eq: query.offerId };
  if (query.maxPricePerHour !== undefined) wire.dph_total = { lte: query.maxPricePerHour };
  if (query.minGpuRamGb !== undefined) wire.gpu_ram = { gte: minGpuRamMb(query.minGpuRamGb) };
  // An empty list would match nothing; it means no country constraint was derived.
  const countries = [...new Set((query.countries ?? []).map((c) => c.trim().toUpperCase()))];
  if (countries.length > 0) wire.geolocation = { in: countries };
  if (query.minReliability !== undefined) wire.reliability = { gte: query.minReliability };
  if (query.minCudaVersion !== undefined) wire.cuda_max_good = { gte: query.minCudaVersion };
  if (query.diskGb !== undefined) {
    wire.disk_space = { gte: query.diskGb };
    // Makes dph_total include the storage the instance will actually be created with.
    wire.allocated_storage = query.diskGb;
  }
  return wire;
}

/** "Oregon, US" → "US"; "" when vast.ai does not know where the machine is. */
export function countryFromGeolocation(geolocation: string | null | undefined): string {
  const last = (geolocation ?? '').split(',').pop()?.trim() ?? '';
  return /^[A-Za-z]{2}$/.test(last) ? last.toUpperCase() : '';
}

/**
 * MiB as reported → the GB the card is sold as: the catalog size when the report is within the
 * driver/ECC shortfall of it (46 068 MiB L40S → 48), else the nearest whole GiB (24 564 → 24).
 */
export function gpuRamGbFromMb(mb: number | null | undefined, gpuName: string | null | undefined): number {
  const model = gpuName ? gpuByMarketName(gpuName) : undefined;
  if (mb === null || mb === undefined || mb <= 0) return model?.vramGb ?? 0;
  if (model && mb >= minGpuRamMb(model.vramGb) && mb <= model.vramGb * 1024 * 1.02) return model.vramGb;
  return Math.round(mb / 1024);
}

/** A raw offer as gpuops' Offer; undefined when it lacks what renting needs (name, count, price). */
export function toOffer(raw: VastOffer): Offer | undefined {
  if (!raw.gpu_name || !raw.num_gpus || raw.dph_total === null || raw.dph_total === undefined)
    return undefined;
  return {
    id: raw.id,
    machineId: raw.machine_id ?? 0,
    hostId: raw.host_id ?? 0,
    gpuName: raw.gpu_name,
    numGpus: raw.num_gpus,
    gpuRamGb: gpuRamGbFromMb(raw.gpu_ram, raw.gpu_name),
    pricePerHour: raw.dph_total,
    reliability: raw.reliability ?? raw.reliability2 ?? 0,
    location: raw.geolocation?.trim() ?? '',
    country: countryFromGeolocation(raw.geolocation),
    cudaVersion: raw.cuda_max_good ?? 0,
    diskGb: Math.round((raw.disk_space ?? 0) * 10) / 10,
    inetDownMbps: raw.inet_down ?? 0,
    inetUpMbps: raw.inet_up ?? 0,
    dlperf: raw.dlperf ?? 0,
    verified: raw.verified ?? false,
  };
}

const STATUS: Record<string, ProviderInstanceStatus> = {
  created: 'provisioning',
  loading: 'loading',
  running: 'running',
  stopped: 'stopped',
  // A frozen instance keeps its machine but runs nothing, which is what stopped means to gpuops.
  frozen: 'stopped',
  exited: 'exited',
  offline: 'offline',
  // A reboot comes back to running by itself, so waiting callers should keep waiting.
  rebooting: 'loading',
  unknown: 'unknown',
};

/** vast.ai's actual_status → gpuops' status; null means the machine is still being prepared. */
export function toInstanceStatus(actual: string | null | undefined): ProviderInstanceStatus {
  if (actual === null || actual === undefined || actual.trim() === '') return 'provisioning';
  return STATUS[actual.trim().toLowerCase()] ?? 'unknown';
}

/**
 * Where to SSH in. gpuops rents with runtype ssh_direct, so the machine's public address and the
 * host port mapped to 22/tcp come first; vast.ai's SSH proxy (ssh_host/ssh_port) is the fallback.
 */
export function sshEndpoint(raw: VastInstance): { host: string | null; port: number | null } {
  const direct = raw.ports?.['22/tcp']?.[0]?.HostPort;
  const directPort = direct === null || direct === undefined ? Number.NaN : Number(direct);
  const ip = raw.public_ipaddr?.trim();
  if (ip && Number.isInteger(directPort) && directPort > 0) return { host: ip, port: directPort };
  const proxyHost = raw.ssh_host?.trim();
  if (proxyHost && raw.ssh_port) return { host: proxyHost, port: raw.ssh_port };
  return { host: null, port: null };
}

export function toProviderInstance(raw: VastInstance): ProviderInstance {
  const ssh = sshEndpoint(raw);
  const message = raw.status_msg?.trim();
  return {
    id: String(raw.id),
    machineId: raw.machine_id ?? 0,
    status: toInstanceStatus(raw.actual_status),
    intendedStatus: raw.intended_status ?? raw.next_state ?? 'running',
    statusMessage: message ? message : null,
    gpuName: raw.gpu_name ?? 'unknown',
    numGpus: raw.num_gpus ?? 0,
    pricePerHour: raw.dph_total ?? 0,
    sshHost: ssh.host,
    sshPort: ssh.port,
    label: raw.label ?? null,
    image: raw.image_uuid ?? null,
    diskGb: Math.round((raw.disk_space ?? 0) * 10) / 10,
    storageCostPerGbMonth: raw.storage_cost ?? null,
    startedAt: raw.start_date ? Math.round(raw.start_date * 1000) : null,
  };
}

/** "ssh-ed25519 AAAA... alice@laptop" → "ssh-ed25519 AAAA...": the comment does not make a different key. */
function keyIdentity(publicKey: string): string {
  return publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
}

export class VastProvider implements GpuProvider {
  readonly name = 'vast';
  private readonly client: VastClient;

  /** Takes a ready client (tests, sharing) or the options to build one. */
  constructor(clientOrOptions: VastClient | VastClientOptions) {
    this.client = clientOrOptions instanceof VastClient ? clientOrOptions : new VastClient(clientOrOptions);
  }

  async searchOffers(query: OfferQuery): Promise<Offer[]> {
    const raw = await this.client.searchOffers(buildVastQuery(query));
    return raw.map(toOffer).filter((offer): offer is Offer => offer !== undefined);
  }

  async createInstance(request: CreateInstanceRequest): Promise<string> {
    const id = await this.client.createInstance(request.offerId, {
      client_id: 'me',
      image: request.image,
      env: request.env ?? {},
      disk: request.diskGb,
      label: request.label,
      ...(request.onstart === undefined ? {} : { onstart: request.onstart }),
      runtype: 'ssh_direct',
    });
    return String(id);
  }

  async account(): Promise<ProviderAccount> {
    const user = await this.client.currentUser();
    return {
      id: user.id === null ? 'unknown' : String(user.id),
      owner: user.email ?? user.username ?? null,
      creditUsd: user.credit ?? null,
    };
  }

  async getInstance(id: string): Promise<ProviderInstance | null> {
    const raw = await this.client.showInstance(id);
    return raw === null ? null : toProviderInstance(raw);
  }

  async listInstances(): Promise<ProviderInstance[]> {
    return (await this.client.listInstances()).map(toProviderInstance);
  }

  async startInstance(id: string): Promise<void> {
    await this.client.setState(id, 'running');
  }

  async stopInstance(id: string): Promise<void> {
    await this.client.setState(id, 'stopped');
  }

  /** Resolves when the instance is already gone, so a retried destroy does not fail. */
  async destroyInstance(id: string): Promise<void> {
    try {
      await this.client.destroyInstance(id);
    } catch (err) {
      if (err instanceof GpuopsError && err.code === ErrorCode.InstanceNotFound) return;
      throw err;
    }
  }

  /** Adds the key unless the account already has it (comments aside), so calling it again is harmless. */
  async registerSshKey(publicKey: string): Promise<void> {
    const wanted = keyIdentity(publicKey);
    if (!/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+$/.test(wanted)) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        'That is not an SSH public key in OpenSSH format (it should start with "ssh-ed25519 AAAA…" or "ssh-rsa AAAA…").',
      );
    }
    const existing = await this.client.listSshKeys();
    const known = existing.some((k) => {
      const text = k.public_key ?? k.ssh_key ?? k.key;
      return text ? keyIdentity(text) === wanted : false;
    });
    if (known) return;
    await this.client.addSshKey(publicKey.trim());
  }
}
