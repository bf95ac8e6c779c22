import { describe, expect, it } from 'vitest';
import { GPU_CATALOG } from '../../../src/cloud/gpu-catalog.ts';
import { generateMachines, Market, reportedGpuRamMb } from '../../../src/cloud/sim/market.ts';
import { parseOfferSearch } from '../../../src/cloud/sim/offer-query.ts';

describe('simulated market', () => {
  it('lists at least 2000 offers over 25 or more GPU models, and is identical for the same seed', () => {
    const a = generateMachines(42, 2_400);
    const b = generateMachines(42, 2_400);
    const other = generateMachines(7, 2_400);

    expect(a.length).toBeGreaterThanOrEqual(2_000);
    expect(new Set(a.map((m) => m.model.marketName)).size).toBeGreaterThanOrEqual(25);
    expect(a.map((m) => m.listing)).toEqual(b.map((m) => m.listing));
    expect(other.map((m) => m.listing)).not.toEqual(a.map((m) => m.listing));
    expect(new Set(a.map((m) => m.offerId)).size).toBe(a.length);
    expect(new Set(a.map((m) => m.machineId)).size).toBe(a.length);
  });

  it('generates 2,400 offers in well under a second', () => {
    const started = performance.now();
    generateMachines(1234, 2_400);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('puts 1, 2, 4 or 8 GPUs in a machine, consumer cards at most 4, and prices near the typical price', () => {
    for (const m of generateMachines(42, 2_400)) {
      expect([1, 2, 4, 8]).toContain(m.numGpus);
      if (/^(GTX|RTX \d{4})/.test(m.model.marketName)) expect(m.numGpus).toBeLessThanOrEqual(4);
      const perGpu = m.dphBase / m.numGpus;
      expect(perGpu).toBeGreaterThanOrEqual(m.model.typicalPricePerHour * 0.55);
      expect(perGpu).toBeLessThanOrEqual(m.model.typicalPricePerHour * 1.4);
      expect(m.listing.reliability).toBeGreaterThanOrEqual(0.8);
      expect(m.listing.reliability).toBeLessThanOrEqual(0.999);
      expect(m.listing.cuda_max_good).toBeGreaterThanOrEqual(11.8);
      expect(m.listing.cuda_max_good).toBeLessThanOrEqual(12.8);
      expect(m.listing.disk_space).toBeGreaterThanOrEqual(50);
      expect(m.listing.disk_space).toBeLessThanOrEqual(2_000);
      expect(m.listing.geolocation).toMatch(/^[^,]+, [A-Z]{2}$/);
    }
  });

  it('reports memory in MB, totals across GPUs and a price that includes storage, as vast.ai does', () => {
    const market = new Market(42, 2_400);
    const rtx4090 = GPU_CATALOG.find((m) => m.marketName === 'RTX 4090')!;
    const offers = market.search(parseOfferSearch({ gpu_name: { eq: 'RTX 4090' }, limit: 1000 }), Date.now());
    expect(offers.length).toBeGreaterThan(0);
    for (const o of offers) {
      expect(o.gpu_ram).toBe(reportedGpuRamMb(rtx4090));
      expect(o.gpu_ram).toBe(24_564);
      expect(o.gpu_total_ram).toBe(o.gpu_ram * o.num_gpus);
      expect(o.cpu_ram).toBeGreaterThan(8 * 1024);
      expect(o.dph_total).toBeCloseTo(o.dph_base + (o.storage_cost * 5) / 720, 5);
      expect(o.dlperf_per_dphtotal).toBeCloseTo(o.dlperf / o.dph_total, 2);
      expect(o.id).toBe(o.ask_contract_id);
    }
  });

  it('prices the storage a search allocates into dph_total', () => {
    const market = new Market(42, 200);
    const query = (allocated: number) =>
      market.search(
        parseOfferSearch({ order: [['id', 'asc']], limit: 1, allocated_storage: allocated }),
        0,
      )[0]!;
    const small = query(5);
    const large = query(500);
    expect(large.id).toBe(small.id);
    expect(large.dph_total - small.dph_total).toBeCloseTo((small.storage_cost * 495) / 720, 5);
  });
});
