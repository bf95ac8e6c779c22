/**
 * A rough hourly cost of a Compute Engine VM, for the confirmation question and the standby
 * record: per-vCPU and per-GB rates of the common families in us-central1 (on-demand list prices,
 * spot about a third of them), plus a balanced persistent disk. An estimate, said as one; GCP's
 * bill is the truth.
 */

interface FamilyRate {
  vcpu: number;
  gb: number;
  /** Memory per vCPU of the standard, highmem and highcpu shapes. */
  gbPerVcpu: { standard: number; highmem: number; highcpu: number };
}

const FAMILIES: Readonly<Record<string, FamilyRate>> = {
  e2: { vcpu: 0.021811, gb: 0.002923, gbPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
  n2: { vcpu: 0.031611, gb: 0.004237, gbPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
  n2d: { vcpu: 0.027502, gb: 0.003686, gbPerVcpu: { standard: 4, highmem: 8, highcpu: 1 } },
  n1: { vcpu: 0.031611, gb: 0.004237, gbPerVcpu: { standard: 3.75, highmem: 6.5, highcpu: 0.9 } },
  c3: { vcpu: 0.03465, gb: 0.003938, gbPerVcpu: { standard: 4, highmem: 8, highcpu: 2 } },
};

/** Shared-core shapes: [vCPU billed, GB]. */
const SHARED: Readonly<Record<string, [number, number]>> = {
  'e2-micro': [0.25, 1],
  'e2-small': [0.5, 2],
  'e2-medium': [1, 4],
};

const SPOT_FACTOR = 0.3;
/** pd-balanced, $0.10 per GB-month. */
const DISK_PER_GB_HOUR = 0.1 / 730;

/** USD per hour, or undefined for a machine type it has no rate for. */
export function estimateVmHourlyCost(machineType: string, spot: boolean, diskGb: number): number | undefined {
  let vcpus: number;
  let gb: number;
  let rate: FamilyRate | undefined;
  const shared = SHARED[machineType];
  if (shared) {
    [vcpus, gb] = shared;
    rate = FAMILIES.e2;
  } else {
    const match = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
    if (!match) return undefined;
    rate = FAMILIES[match[1]!];
    if (!rate) return undefined;
    vcpus = Number(match[3]);
    gb = vcpus * rate.gbPerVcpu[match[2] as keyof FamilyRate['gbPerVcpu']];
  }
  if (!rate) return undefined;
  const machine = vcpus * rate.vcpu + gb * rate.gb;
  const hourly = machine * (spot ? SPOT_FACTOR : 1) + diskGb * DISK_PER_GB_HOUR;
  return Math.round(hourly * 10_000) / 10_000;
}
