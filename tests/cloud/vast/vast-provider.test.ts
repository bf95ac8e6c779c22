import { afterEach, describe, expect, it } from 'vitest';
import type { OfferQuery } from '../../../src/cloud/provider.ts';
import { VastClient } from '../../../src/cloud/vast/vast-client.ts';
import {
  buildVastQuery,
  countryFromGeolocation,
  gpuRamGbFromMb,
  minGpuRamMb,
  toInstanceStatus,
  VastProvider,
} from '../../../src/cloud/vast/vast-provider.ts';
import { ErrorCode, GpuopsError } from '../../../src/errors.ts';
import { rawInstance, rawOffer, type StubHandler, startVastStub, type VastStub } from './vast-stub.ts';

let stubs: VastStub[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((s) => s.close()));
  stubs = [];
});

async function providerWith(handler: StubHandler): Promise<{ provider: VastProvider; stub: VastStub }> {
  const stub = await startVastStub(handler);
  stubs.push(stub);
  const client = new VastClient({
    baseUrl: stub.baseUrl,
    apiKey: 'k',
    timeoutMs: 2_000,
    retries: 2,
    backoffMinMs: 5,
  });
  return { provider: new VastProvider(client), stub };
}

const DEFAULTS = {
  verified: { eq: true },
  external: { eq: false },
  rentable: { eq: true },
  rented: { eq: false },
  type: 'on-demand',
  order: [['dph_total', 'asc']],
  limit: 20,
};

describe('VastProvider.searchOffers', () => {
  it('sends vast.ai’s defaults for an empty query', async () => {
    const { provider, stub } = await providerWith(() => ({ json: { offers: [] } }));
    await provider.searchOffers({});
    expect(stub.requests[0]?.body).toEqual(DEFAULTS);
  });

  it.each<[string, OfferQuery, Record<string, unknown>]>([
    ['one GPU name as eq', { gpuNames: ['RTX 4090'] }, { gpu_name: { eq: 'RTX 4090' } }],
    [
      'several GPU names as in',
      { gpuNames: ['A100 SXM4', 'H100 SXM'] },
      { gpu_name: { in: ['A100 SXM4', 'H100 SXM'] } },
    ],
    ['the GPU count', { numGpus: 4 }, { num_gpus: { eq: 4 } }],
    ['the price ceiling on dph_total', { maxPricePerHour: 1.25 }, { dph_total: { lte: 1.25 } }],
    ['GPU memory in MB with the ECC tolerance', { minGpuRamGb: 24 }, { gpu_ram: { gte: 22_609 } }],
    ['countries on geolocation', { countries: ['us', 'CA'] }, { geolocation: { in: ['US', 'CA'] } }],
    ['reliability', { minReliability: 0.98 }, { reliability: { gte: 0.98 } }],
    ['CUDA version on cuda_max_good', { minCudaVersion: 12.1 }, { cuda_max_good: { gte: 12.1 } }],
    [
      'disk as a filter and as allocated storage',
      { diskGb: 100 },
      { disk_space: { gte: 100 }, allocated_storage: 100 },
    ],
    ['order by reliability', { order: 'reliability' }, { order: [['reliability', 'desc']] }],
    [
      'order by performance per dollar',
      { order: 'performance_per_dollar' },
      { order: [['dlperf_per_dphtotal', 'desc']] },
    ],
    ['the limit', { limit: 5 }, { limit: 5 }],
    ['a limit clamped to 1000', { limit: 5_000 }, { limit: 1_000 }],
  ])('maps %s onto the wire', async (_name, query, expected) => {
    const { provider, stub } = await providerWith(() => ({ json: { offers: [] } }));
    await provider.searchOffers(query);
    expect(stub.requests[0]?.body).toEqual({ ...DEFAULTS, ...expected });
  });

  it('leaves out an empty countries list rather than matching nothing', () => {
    expect(buildVastQuery({ countries: [] })).not.toHaveProperty('geolocation');
  });

  it('asks for a GPU memory floor that keeps cards marketed at that size and drops the next size down', () => {
    // RTX 4090 24 564 MB, A10 23 028 MB (ECC), L40S 46 068 MB (ECC), T4 15 360 MB, H100 PCIe 81 559 MB.
    expect(24_564).toBeGreaterThanOrEqual(minGpuRamMb(24));
    expect(23_028).toBeGreaterThanOrEqual(minGpuRamMb(24));
    expect(46_068).toBeGreaterThanOrEqual(minGpuRamMb(48));
    expect(15_360).toBeGreaterThanOrEqual(minGpuRamMb(16));
    expect(81_559).toBeGreaterThanOrEqual(minGpuRamMb(80));
    // RTX 4000 Ada 20 475 MB and a 22 GB modded 2080 Ti are not 24 GB cards.
    expect(20_475).toBeLessThan(minGpuRamMb(24));
    expect(22_528).toBeLessThan(minGpuRamMb(24));
  });

  it('maps raw offers to Offers', async () => {
    const { provider } = await providerWith(() => ({
      json: {
        offers: [
          rawOffer(),
          rawOffer({ id: 2, gpu_name: 'L40S', gpu_ram: 46_068, geolocation: 'Sweden, SE', verified: null }),
          rawOffer({ id: 3, dph_total: null }),
        ],
      },
    }));
    const offers = await provider.searchOffers({});
    expect(offers).toEqual([
      {
        id: 9_100_001,
        machineId: 4_242,
        hostId: 1_001,
        gpuName: 'RTX 4090',
        numGpus: 1,
        gpuRamGb: 24,
        pricePerHour: 0.391,
        reliability: 0.9931,
        location: 'Oregon, US',
        country: 'US',
        cudaVersion: 12.4,
        diskGb: 412.6,
        inetDownMbps: 812.5,
        inetUpMbps: 640.2,
        dlperf: 82.1,
        verified: true,
      },
      expect.objectContaining({ id: 2, gpuRamGb: 48, country: 'SE', verified: false }),
    ]);
  });

  it('reads the country from the end of geolocation', () => {
    expect(countryFromGeolocation('Oregon, US')).toBe('US');
    expect(countryFromGeolocation('Quebec, CA ')).toBe('CA');
    expect(countryFromGeolocation('DE')).toBe('DE');
    expect(countryFromGeolocation(null)).toBe('');
    expect(countryFromGeolocation('Somewhere')).toBe('');
  });

  it('rounds reported GPU memory to the marketed size', () => {
    expect(gpuRamGbFromMb(24_564, 'RTX 4090')).toBe(24);
    expect(gpuRamGbFromMb(46_068, 'A40')).toBe(48);
    expect(gpuRamGbFromMb(81_559, 'H100 PCIE')).toBe(80);
    expect(gpuRamGbFromMb(20_475, 'RTX 4000Ada')).toBe(20);
    expect(gpuRamGbFromMb(null, 'RTX 3090')).toBe(24);
  });
});

describe('VastProvider instances', () => {
  it('maps a running instance, taking SSH from the direct 22/tcp port mapping', async () => {
    const { provider, stub } = await providerWith(() => ({ json: { instances: rawInstance() } }));
    const instance = await provider.getInstance('31337');
    expect(stub.requests[0]?.path).toBe('/api/v0/instances/31337/');
    expect(instance).toEqual({
      id: '31337',
      machineId: 4_242,
      status: 'running',
      intendedStatus: 'running',
      statusMessage: 'success, running pytorch/pytorch_latest/ssh',
      gpuName: 'RTX 4090',
      numGpus: 1,
      pricePerHour: 0.412,
      sshHost: '203.0.113.7',
      sshPort: 41_234,
      label: 'gpuops:op-7',
      image: 'pytorch/pytorch:latest',
      diskGb: 40,
      storageCostPerGbMonth: 0.15,
      startedAt: 1_760_000_000_250,
    });
  });

  it('falls back to the SSH proxy when no port is mapped yet', async () => {
    const { provider } = await providerWith(() => ({
      json: { instances: rawInstance({ ports: {}, public_ipaddr: null, actual_status: 'loading' }) },
    }));
    const instance = await provider.getInstance('31337');
    expect(instance).toMatchObject({ status: 'loading', sshHost: 'ssh4.vast.ai', sshPort: 21_336 });
  });

  it('shows a provisioning instance with no SSH and no start time', async () => {
    const { provider } = await providerWith(() => ({
      json: {
        instances: rawInstance({
          actual_status: null,
          ports: null,
          ssh_host: null,
          ssh_port: null,
          start_date: null,
          status_msg: '',
        }),
      },
    }));
    expect(await provider.getInstance('31337')).toMatchObject({
      status: 'provisioning',
      sshHost: null,
      sshPort: null,
      startedAt: null,
      statusMessage: null,
    });
  });

  it('returns null for an instance vast.ai no longer has', async () => {
    const { provider } = await providerWith(() => ({ json: { instances: null } }));
    expect(await provider.getInstance('5')).toBeNull();
  });

  it.each([
    [null, 'provisioning'],
    ['created', 'provisioning'],
    ['loading', 'loading'],
    ['running', 'running'],
    ['stopped', 'stopped'],
    ['frozen', 'stopped'],
    ['exited', 'exited'],
    ['offline', 'offline'],
    ['rebooting', 'loading'],
    ['unknown', 'unknown'],
    ['something-new', 'unknown'],
  ])('maps actual_status %s to %s', (actual, expected) => {
    expect(toInstanceStatus(actual)).toBe(expected);
  });

  it('lists instances', async () => {
    const { provider } = await providerWith(() => ({
      json: { instances: [rawInstance({ id: 1 }), rawInstance({ id: 2, actual_status: 'exited' })] },
    }));
    const list = await provider.listInstances();
    expect(list.map((i) => [i.id, i.status])).toEqual([
      ['1', 'running'],
      ['2', 'exited'],
    ]);
  });

  it('rents with client_id me, ssh_direct and the label, and returns the id as a string', async () => {
    const { provider, stub } = await providerWith(() => ({ json: { success: true, new_contract: 555 } }));
    const id = await provider.createInstance({
      offerId: 9_100_001,
      image: 'pytorch/pytorch:latest',
      diskGb: 40,
      label: 'gpuops:op-3',
      env: { HF_HOME: '/workspace/hf' },
      onstart: 'nvidia-smi',
    });
    expect(id).toBe('555');
    expect(stub.requests[0]).toMatchObject({
      method: 'PUT',
      path: '/api/v0/asks/9100001/',
      body: {
        client_id: 'me',
        image: 'pytorch/pytorch:latest',
        env: { HF_HOME: '/workspace/hf' },
        disk: 40,
        label: 'gpuops:op-3',
        onstart: 'nvidia-smi',
        runtype: 'ssh_direct',
      },
    });
  });

  it('starts and stops through the state field', async () => {
    const { provider, stub } = await providerWith(() => ({ json: { success: true } }));
    await provider.startInstance('7');
    await provider.stopInstance('7');
    expect(stub.requests.map((r) => r.body)).toEqual([
      { state: 'running', cancel_unavail: true },
      { state: 'stopped' },
    ]);
  });

  it('reports a start the machine cannot serve as ResumeUnavailable', async () => {
    const { provider } = await providerWith(() => ({
      json: { success: false, error: 'resources_unavailable', msg: 'GPUs are in use by another client' },
    }));
    const err = await provider.startInstance('7').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuopsError);
    expect((err as GpuopsError).code).toBe(ErrorCode.ResumeUnavailable);
  });

  it('treats destroying an instance that is already gone as done', async () => {
    const { provider, stub } = await providerWith(() => ({
      status: 404,
      json: { success: false, error: 'no_such_instance', msg: 'Instance 7 not found' },
    }));
    await expect(provider.destroyInstance('7')).resolves.toBeUndefined();
    expect(stub.requests[0]?.method).toBe('DELETE');
  });
});

describe('VastProvider.registerSshKey', () => {
  it('adds a new key once and skips it when the account already has it, whatever its comment', async () => {
    const keys: Array<{ id: number; public_key: string }> = [];
    const { provider, stub } = await providerWith((req) => {
      if (req.method === 'POST') {
        const body = req.body as { ssh_key: string };
        keys.push({ id: keys.length + 1, public_key: body.ssh_key });
        return { json: { success: true } };
      }
      return { json: keys };
    });
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpuopsTestKey gpuops@host';

    await provider.registerSshKey(key);
    await provider.registerSshKey(key);
    await provider.registerSshKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpuopsTestKey another-comment');

    expect(stub.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'GET']);
    expect(keys).toEqual([{ id: 1, public_key: key }]);
  });

  it('refuses text that is not an OpenSSH public key without calling vast.ai', async () => {
    const { provider, stub } = await providerWith(() => ({ json: [] }));
    const err = await provider.registerSshKey('-----BEGIN OPENSSH PRIVATE KEY-----').catch((e: unknown) => e);
    expect((err as GpuopsError).code).toBe(ErrorCode.BadInput);
    expect(stub.requests).toHaveLength(0);
  });
});
