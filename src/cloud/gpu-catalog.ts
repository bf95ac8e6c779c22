/**
 * GPUs that GPU marketplaces rent, with the figures the advisor and the simulated market need.
 *
 * Sources: NVIDIA product briefs and datasheets (GeForce RTX 30/40/50 series, RTX A-series and
 * RTX 6000 Ada, A10, A40, L4, L40, L40S, T4, V100, A100, H100, H200, B200), AMD Instinct MI250 and
 * MI300X datasheets. TFLOPS are dense tensor-core figures (no sparsity). `typicalPricePerHour` is
 * a rough per-GPU on-demand price seen on community marketplaces in 2025: it seeds the simulated
 * market's prices, and the planner lists the cheapest first when it suggests GPUs (asking which
 * one to deploy, or naming ones with more memory). Nothing else reads it: quotes, budget checks
 * and the advisor's ranking use live offers.
 */
import { ErrorCode, GpuopsError } from '../errors.ts';
import { editDistance } from '../util/edit-distance.ts';

export interface GpuModel {
  /** Stable id used in tool arguments, e.g. "rtx-4090", "a100-80gb". */
  id: string;
  /** The name the marketplace uses in `gpu_name` (vast.ai spelling). */
  marketName: string;
  /** Human name for chat. */
  displayName: string;
  vramGb: number;
  memBandwidthGBs: number;
  fp16Tflops: number;
  fp8Tflops: number | null;
  arch: string;
  computeCap: number;
  interconnect: 'pcie' | 'nvlink' | 'sxm' | 'infinity-fabric';
  /** USD per GPU-hour, roughly, on community marketplaces: a seed and a sort key, never a quote. */
  typicalPricePerHour: number;
  /** Relative abundance on the market, 1 = common consumer card. */
  abundance: number;
  /** Extra spellings people use, already normalised (lower case, no spaces or punctuation). */
  aliases: string[];
}

const g = (m: GpuModel): GpuModel => m;

export const GPU_CATALOG: readonly GpuModel[] = [
  g({
    id: 'gtx-1080-ti',
    marketName: 'GTX 1080 Ti',
    displayName: 'GTX 1080 Ti',
    vramGb: 11,
    memBandwidthGBs: 484,
    fp16Tflops: 0.17,
    fp8Tflops: null,
    arch: 'Pascal',
    computeCap: 6.1,
    interconnect: 'pcie',
    typicalPricePerHour: 0.08,
    abundance: 0.3,
    aliases: ['1080ti', 'gtx1080ti'],
  }),
  g({
    id: 'rtx-2080-ti',
    marketName: 'RTX 2080 Ti',
    displayName: 'RTX 2080 Ti',
    vramGb: 11,
    memBandwidthGBs: 616,
    fp16Tflops: 53.8,
    fp8Tflops: null,
    arch: 'Turing',
    computeCap: 7.5,
    interconnect: 'pcie',
    typicalPricePerHour: 0.12,
    abundance: 0.4,
    aliases: ['2080ti', 'rtx2080ti'],
  }),
  g({
    id: 'rtx-3060',
    marketName: 'RTX 3060',
    displayName: 'RTX 3060 12GB',
    vramGb: 12,
    memBandwidthGBs: 360,
    fp16Tflops: 51.2,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.06,
    abundance: 0.9,
    aliases: ['3060', 'rtx3060'],
  }),
  g({
    id: 'rtx-3070',
    marketName: 'RTX 3070',
    displayName: 'RTX 3070',
    vramGb: 8,
    memBandwidthGBs: 448,
    fp16Tflops: 81.3,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.08,
    abundance: 0.6,
    aliases: ['3070', 'rtx3070'],
  }),
  g({
    id: 'rtx-3080',
    marketName: 'RTX 3080',
    displayName: 'RTX 3080',
    vramGb: 10,
    memBandwidthGBs: 760,
    fp16Tflops: 119,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.1,
    abundance: 0.8,
    aliases: ['3080', 'rtx3080'],
  }),
  g({
    id: 'rtx-3090',
    marketName: 'RTX 3090',
    displayName: 'RTX 3090',
    vramGb: 24,
    memBandwidthGBs: 936,
    fp16Tflops: 71,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.2,
    abundance: 1.6,
    aliases: ['3090', 'rtx3090'],
  }),
  g({
    id: 'rtx-3090-ti',
    marketName: 'RTX 3090 Ti',
    displayName: 'RTX 3090 Ti',
    vramGb: 24,
    memBandwidthGBs: 1008,
    fp16Tflops: 80,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.24,
    abundance: 0.4,
    aliases: ['3090ti', 'rtx3090ti'],
  }),
  g({
    id: 'rtx-4060-ti',
    marketName: 'RTX 4060 Ti',
    displayName: 'RTX 4060 Ti 16GB',
    vramGb: 16,
    memBandwidthGBs: 288,
    fp16Tflops: 44,
    fp8Tflops: 88,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.12,
    abundance: 0.6,
    aliases: ['4060ti', 'rtx4060ti'],
  }),
  g({
    id: 'rtx-4070',
    marketName: 'RTX 4070',
    displayName: 'RTX 4070',
    vramGb: 12,
    memBandwidthGBs: 504,
    fp16Tflops: 58,
    fp8Tflops: 117,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.13,
    abundance: 0.5,
    aliases: ['4070', 'rtx4070'],
  }),
  g({
    id: 'rtx-4070-ti',
    marketName: 'RTX 4070 Ti',
    displayName: 'RTX 4070 Ti',
    vramGb: 12,
    memBandwidthGBs: 504,
    fp16Tflops: 80,
    fp8Tflops: 160,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.15,
    abundance: 0.4,
    aliases: ['4070ti', 'rtx4070ti'],
  }),
  g({
    id: 'rtx-4080',
    marketName: 'RTX 4080',
    displayName: 'RTX 4080',
    vramGb: 16,
    memBandwidthGBs: 717,
    fp16Tflops: 97,
    fp8Tflops: 195,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.22,
    abundance: 0.6,
    aliases: ['4080', 'rtx4080', '4080super', 'rtx4080super'],
  }),
  g({
    id: 'rtx-4090',
    marketName: 'RTX 4090',
    displayName: 'RTX 4090',
    vramGb: 24,
    memBandwidthGBs: 1008,
    fp16Tflops: 165,
    fp8Tflops: 330,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.38,
    abundance: 2.2,
    aliases: ['4090', 'rtx4090', 'geforcertx4090'],
  }),
  g({
    id: 'rtx-5080',
    marketName: 'RTX 5080',
    displayName: 'RTX 5080',
    vramGb: 16,
    memBandwidthGBs: 960,
    fp16Tflops: 112,
    fp8Tflops: 225,
    arch: 'Blackwell',
    computeCap: 12.0,
    interconnect: 'pcie',
    typicalPricePerHour: 0.28,
    abundance: 0.5,
    aliases: ['5080', 'rtx5080'],
  }),
  g({
    id: 'rtx-5090',
    marketName: 'RTX 5090',
    displayName: 'RTX 5090',
    vramGb: 32,
    memBandwidthGBs: 1792,
    fp16Tflops: 209,
    fp8Tflops: 419,
    arch: 'Blackwell',
    computeCap: 12.0,
    interconnect: 'pcie',
    typicalPricePerHour: 0.65,
    abundance: 1.2,
    aliases: ['5090', 'rtx5090'],
  }),
  g({
    id: 'rtx-a4000',
    marketName: 'RTX A4000',
    displayName: 'RTX A4000',
    vramGb: 16,
    memBandwidthGBs: 448,
    fp16Tflops: 76.7,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.14,
    abundance: 0.7,
    aliases: ['a4000', 'rtxa4000'],
  }),
  g({
    id: 'rtx-a5000',
    marketName: 'RTX A5000',
    displayName: 'RTX A5000',
    vramGb: 24,
    memBandwidthGBs: 768,
    fp16Tflops: 111,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.22,
    abundance: 0.7,
    aliases: ['a5000', 'rtxa5000'],
  }),
  g({
    id: 'rtx-a6000',
    marketName: 'RTX A6000',
    displayName: 'RTX A6000',
    vramGb: 48,
    memBandwidthGBs: 768,
    fp16Tflops: 155,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.45,
    abundance: 0.9,
    aliases: ['a6000', 'rtxa6000'],
  }),
  g({
    id: 'rtx-6000-ada',
    marketName: 'RTX 6000Ada',
    displayName: 'RTX 6000 Ada',
    vramGb: 48,
    memBandwidthGBs: 960,
    fp16Tflops: 182,
    fp8Tflops: 364,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.75,
    abundance: 0.5,
    aliases: ['6000ada', 'rtx6000ada', 'rtx6000'],
  }),
  g({
    id: 't4',
    marketName: 'Tesla T4',
    displayName: 'T4',
    vramGb: 16,
    memBandwidthGBs: 320,
    fp16Tflops: 65,
    fp8Tflops: null,
    arch: 'Turing',
    computeCap: 7.5,
    interconnect: 'pcie',
    typicalPricePerHour: 0.12,
    abundance: 0.4,
    aliases: ['t4', 'teslat4'],
  }),
  g({
    id: 'v100',
    marketName: 'Tesla V100',
    displayName: 'V100 32GB',
    vramGb: 32,
    memBandwidthGBs: 900,
    fp16Tflops: 125,
    fp8Tflops: null,
    arch: 'Volta',
    computeCap: 7.0,
    interconnect: 'nvlink',
    typicalPricePerHour: 0.22,
    abundance: 0.4,
    aliases: ['v100', 'teslav100', 'v10032gb'],
  }),
  g({
    id: 'a10',
    marketName: 'A10',
    displayName: 'A10',
    vramGb: 24,
    memBandwidthGBs: 600,
    fp16Tflops: 125,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.25,
    abundance: 0.3,
    aliases: ['a10', 'nvidiaa10'],
  }),
  g({
    id: 'a10g',
    marketName: 'A10G',
    displayName: 'A10G',
    vramGb: 24,
    memBandwidthGBs: 600,
    fp16Tflops: 70,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.3,
    abundance: 0.15,
    aliases: ['a10g'],
  }),
  g({
    id: 'l4',
    marketName: 'L4',
    displayName: 'L4',
    vramGb: 24,
    memBandwidthGBs: 300,
    fp16Tflops: 121,
    fp8Tflops: 242,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.3,
    abundance: 0.4,
    aliases: ['l4', 'nvidial4'],
  }),
  g({
    id: 'a40',
    marketName: 'A40',
    displayName: 'A40',
    vramGb: 48,
    memBandwidthGBs: 696,
    fp16Tflops: 150,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.6,
    interconnect: 'pcie',
    typicalPricePerHour: 0.4,
    abundance: 0.4,
    aliases: ['a40'],
  }),
  g({
    id: 'l40',
    marketName: 'L40',
    displayName: 'L40',
    vramGb: 48,
    memBandwidthGBs: 864,
    fp16Tflops: 181,
    fp8Tflops: 362,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.75,
    abundance: 0.3,
    aliases: ['l40'],
  }),
  g({
    id: 'l40s',
    marketName: 'L40S',
    displayName: 'L40S',
    vramGb: 48,
    memBandwidthGBs: 864,
    fp16Tflops: 362,
    fp8Tflops: 733,
    arch: 'Ada',
    computeCap: 8.9,
    interconnect: 'pcie',
    typicalPricePerHour: 0.85,
    abundance: 0.5,
    aliases: ['l40s'],
  }),
  g({
    id: 'a100-40gb',
    marketName: 'A100 PCIE',
    displayName: 'A100 40GB',
    vramGb: 40,
    memBandwidthGBs: 1555,
    fp16Tflops: 312,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.0,
    interconnect: 'pcie',
    typicalPricePerHour: 0.7,
    abundance: 0.5,
    aliases: ['a100', 'a10040gb', 'a10040g', 'a100pcie', 'a100pcie40gb'],
  }),
  g({
    id: 'a100-80gb',
    marketName: 'A100 SXM4',
    displayName: 'A100 80GB SXM4',
    vramGb: 80,
    memBandwidthGBs: 2039,
    fp16Tflops: 312,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.0,
    interconnect: 'sxm',
    typicalPricePerHour: 1.1,
    abundance: 1,
    aliases: ['a10080gb', 'a10080g', 'a10080', 'a100sxm', 'a100sxm4', 'a100sxm480gb'],
  }),
  g({
    id: 'a100-80gb-pcie',
    marketName: 'A100 PCIE 80GB',
    displayName: 'A100 80GB PCIe',
    vramGb: 80,
    memBandwidthGBs: 1935,
    fp16Tflops: 312,
    fp8Tflops: null,
    arch: 'Ampere',
    computeCap: 8.0,
    interconnect: 'pcie',
    typicalPricePerHour: 1.0,
    abundance: 0.4,
    aliases: ['a100x', 'a10080gbpcie', 'a100pcie80gb'],
  }),
  g({
    id: 'h100-pcie',
    marketName: 'H100 PCIE',
    displayName: 'H100 80GB PCIe',
    vramGb: 80,
    memBandwidthGBs: 2000,
    fp16Tflops: 756,
    fp8Tflops: 1513,
    arch: 'Hopper',
    computeCap: 9.0,
    interconnect: 'pcie',
    typicalPricePerHour: 1.8,
    abundance: 0.5,
    aliases: ['h100', 'h100pcie', 'h10080gb', 'h10080gbpcie'],
  }),
  g({
    id: 'h100-sxm',
    marketName: 'H100 SXM',
    displayName: 'H100 80GB SXM',
    vramGb: 80,
    memBandwidthGBs: 3350,
    fp16Tflops: 989,
    fp8Tflops: 1979,
    arch: 'Hopper',
    computeCap: 9.0,
    interconnect: 'sxm',
    typicalPricePerHour: 2.2,
    abundance: 1,
    aliases: ['h100sxm', 'h100sxm5', 'h100sxm80gb'],
  }),
  g({
    id: 'h100-nvl',
    marketName: 'H100 NVL',
    displayName: 'H100 NVL 94GB',
    vramGb: 94,
    memBandwidthGBs: 3900,
    fp16Tflops: 835,
    fp8Tflops: 1671,
    arch: 'Hopper',
    computeCap: 9.0,
    interconnect: 'nvlink',
    typicalPricePerHour: 2.4,
    abundance: 0.3,
    aliases: ['h100nvl'],
  }),
  g({
    id: 'h200',
    marketName: 'H200',
    displayName: 'H200 141GB',
    vramGb: 141,
    memBandwidthGBs: 4800,
    fp16Tflops: 989,
    fp8Tflops: 1979,
    arch: 'Hopper',
    computeCap: 9.0,
    interconnect: 'sxm',
    typicalPricePerHour: 3.2,
    abundance: 0.4,
    aliases: ['h200', 'h200sxm', 'h200141gb'],
  }),
  g({
    id: 'b200',
    marketName: 'B200',
    displayName: 'B200 180GB',
    vramGb: 180,
    memBandwidthGBs: 8000,
    fp16Tflops: 2250,
    fp8Tflops: 4500,
    arch: 'Blackwell',
    computeCap: 10.0,
    interconnect: 'sxm',
    typicalPricePerHour: 4.5,
    abundance: 0.2,
    aliases: ['b200'],
  }),
  g({
    id: 'mi250',
    marketName: 'MI250',
    displayName: 'AMD MI250',
    vramGb: 128,
    memBandwidthGBs: 3277,
    fp16Tflops: 362,
    fp8Tflops: null,
    arch: 'CDNA2',
    computeCap: 0,
    interconnect: 'infinity-fabric',
    typicalPricePerHour: 1.2,
    abundance: 0.1,
    aliases: ['mi250', 'mi250x', 'instinctmi250'],
  }),
  g({
    id: 'mi300x',
    marketName: 'MI300X',
    displayName: 'AMD MI300X',
    vramGb: 192,
    memBandwidthGBs: 5300,
    fp16Tflops: 1307,
    fp8Tflops: 2615,
    arch: 'CDNA3',
    computeCap: 0,
    interconnect: 'infinity-fabric',
    typicalPricePerHour: 2.5,
    abundance: 0.15,
    aliases: ['mi300x', 'mi300', 'instinctmi300x'],
  }),
];

const byId = new Map(GPU_CATALOG.map((m) => [m.id, m]));
const byMarketName = new Map(GPU_CATALOG.map((m) => [m.marketName.toLowerCase(), m]));

/**
 * Lower case with spaces, punctuation and brand words removed: "NVIDIA GeForce RTX-4090" → "rtx4090",
 * "4090's" → "4090s". Apostrophes and brackets go too because chat text carries them ("(A100)").
 */
export function normaliseGpuText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\b(nvidia|geforce|amd|instinct)\b/g, '')
    .replace(/gib|gigabytes?/g, 'gb')
    .replace(/[\s\-_./'’,()]+/g, '');
}

const aliasIndex = new Map<string, GpuModel>();
for (const model of GPU_CATALOG) {
  for (const key of [model.id, model.marketName, model.displayName, ...model.aliases]) {
    const norm = normaliseGpuText(key);
    if (!aliasIndex.has(norm)) aliasIndex.set(norm, model);
  }
}

export function gpuById(id: string): GpuModel | undefined {
  return byId.get(id);
}

export function gpuByMarketName(name: string): GpuModel | undefined {
  return byMarketName.get(name.toLowerCase());
}

/** A separate memory-size word such as "24GB", "80 g" or "-141gb" inside a GPU name. */
const MEMORY_WORD = /(?:^|[\s\-_/])(\d{1,3})\s*(?:gb|gib|g)(?=$|[\s\-_/])/i;

/**
 * Resolves a loosely written GPU name ("4090", "rtx4090", "A100 80G", "h100 sxm", "3090s",
 * "RTX 4090 24GB") to a catalog model, or undefined. "80G" reads as 80GB; a trailing "gb" suffix is
 * optional.
 */
export function resolveGpu(text: string): GpuModel | undefined {
  const found = lookupNormalised(normaliseGpuText(text));
  if (found) return found;
  // People put the memory size next to names that do not carry it ("RTX 4090 24GB", "H100 SXM
  // 80GB"). Accept it only when it is the model's size, so "4090 48GB" still fails loudly.
  const sized = MEMORY_WORD.exec(text);
  if (!sized) return undefined;
  const rest = `${text.slice(0, sized.index)} ${text.slice(sized.index + sized[0].length)}`;
  const model = lookupNormalised(normaliseGpuText(rest));
  return model && Math.abs(model.vramGb - Number(sized[1])) <= 2 ? model : undefined;
}

function lookupNormalised(normalised: string): GpuModel | undefined {
  // Exact first: "a10g" is a model of its own, not "A10 with 10GB".
  const exact = aliasIndex.get(normalised) ?? aliasIndex.get(normalised.replace(/^rtx/, ''));
  if (exact) return exact;
  let norm = normalised.replace(/(\d+)g$/, '$1gb');
  const direct = aliasIndex.get(norm) ?? aliasIndex.get(norm.replace(/^rtx/, ''));
  if (direct) return direct;
  norm = norm.replace(/gb$/, '');
  const loose = aliasIndex.get(norm) ?? aliasIndex.get(`${norm}gb`);
  if (loose) return loose;
  // Plurals ("3090s", "a100s", "4090's"); names that end in "s" themselves ("l40s") matched above.
  if (/\ds$/.test(norm)) {
    const single = norm.slice(0, -1);
    return aliasIndex.get(single) ?? aliasIndex.get(single.replace(/^rtx/, ''));
  }
  return undefined;
}

/** The catalog models whose names are closest to the text, for "did you mean" answers. */
export function suggestGpus(text: string, limit = 3): GpuModel[] {
  const norm = normaliseGpuText(text);
  if (norm === '') return [];
  const scored = GPU_CATALOG.map((model) => {
    const keys = [model.id, model.marketName, ...model.aliases].map(normaliseGpuText);
    const best = Math.min(...keys.map((key) => editDistance(norm, key)));
    const digits = norm.replace(/\D/g, '');
    const sharesNumber = digits !== '' && keys.some((key) => key.includes(digits));
    return { model, score: best - (sharesNumber ? 2 : 0) };
  });
  scored.sort((a, b) => a.score - b.score);
  return scored.slice(0, limit).map((s) => s.model);
}

export function resolveGpuArg(text: string): GpuModel {
  const model = resolveGpu(text);
  if (model) return model;
  const suggestions = suggestGpus(text).map((m) => m.displayName);
  throw new GpuopsError(
    ErrorCode.UnknownGpu,
    `I don't know a GPU called "${text}". Did you mean ${suggestions.join(', ') || 'an RTX 4090 or an A100 80GB'}?`,
    { details: { suggestions } },
  );
}

/**
 * GPUs a workload running on `model` can move to unchanged and run about as fast: the same
 * vendor's, with at least as much memory and (NVIDIA) at least the same compute capability, so
 * kernels built for it still run and what fit still fits, and with at least 80% of its compute and
 * memory bandwidth, so a failover does not quietly land a 4090's job on an L4. The model itself
 * comes first.
 */
export function compatibleReplacements(model: GpuModel): GpuModel[] {
  const amd = (gpu: GpuModel) => gpu.arch.startsWith('CDNA');
  const others = GPU_CATALOG.filter(
    (gpu) =>
      gpu.id !== model.id &&
      amd(gpu) === amd(model) &&
      gpu.vramGb >= model.vramGb &&
      (amd(model) || gpu.computeCap >= model.computeCap) &&
      gpu.fp16Tflops >= AS_FAST * model.fp16Tflops &&
      gpu.memBandwidthGBs >= AS_FAST * model.memBandwidthGBs,
  );
  return [model, ...others];
}

/** What "about as fast" means for a replacement: this share of the original's throughput. */
const AS_FAST = 0.8;

/** Number formats and attention kernels a GPU runs natively, from its architecture. */
export interface PrecisionSupport {
  /** bfloat16 tensor cores: NVIDIA Ampere (compute 8.0) and newer; AMD CDNA2 and newer. */
  bf16: boolean;
  /** TF32 tensor cores for fp32 matmuls: NVIDIA Ampere and newer; AMD CDNA3. */
  tf32: boolean;
  /** FP8 tensor cores: NVIDIA Ada (8.9) and Hopper (9.0) and newer; AMD CDNA3 (MI300). */
  fp8: boolean;
  /** FlashAttention-2: NVIDIA Ampere, Ada and Hopper (8.0+); ROCm's build for MI200 and MI300. */
  flashAttention2: boolean;
}

/**
 * What a GPU runs natively. NVIDIA's from compute capability: the A100 whitepaper introduces
 * BF16 and TF32 tensor cores with Ampere (8.0), so Volta (7.0) and Turing (7.5) have neither;
 * FP8 tensor cores arrive with Ada (8.9) and Hopper (9.0); FlashAttention-2 (Dao 2023) supports
 * Ampere, Ada and Hopper. AMD's from the listed FP8 figure and the CDNA generation.
 */
export function precisionSupport(gpu: GpuModel): PrecisionSupport {
  if (gpu.arch.startsWith('CDNA')) {
    const cdna3 = gpu.fp8Tflops !== null;
    return { bf16: true, tf32: cdna3, fp8: cdna3, flashAttention2: true };
  }
  const cc = gpu.computeCap;
  return { bf16: cc >= 8.0, tf32: cc >= 8.0, fp8: cc >= 8.9, flashAttention2: cc >= 8.0 };
}
