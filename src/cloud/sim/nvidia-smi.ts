import { createHash } from 'node:crypto';
import type { GpuModel } from '../gpu-catalog.ts';

/**
 * A stand-in `nvidia-smi` for simulated instances: a POSIX shell script, so it starts fast and
 * needs nothing installed, that answers the calls health checks make: the default table,
 * `-L`, and `--query-gpu=<fields> --format=csv[,noheader][,nounits]`.
 */

export interface GpuBoard {
  model: GpuModel;
  numGpus: number;
  /** MiB per GPU, as the driver reports it. */
  memoryMb: number;
  driverVersion: string;
  cudaVersion: number;
  /** Seeds the GPU UUIDs, so they stay the same for one instance. */
  instanceId: number;
}

/** The product name the driver reports, e.g. "NVIDIA GeForce RTX 4090". */
export function driverGpuName(model: GpuModel): string {
  const special: Record<string, string> = {
    'Tesla T4': 'Tesla T4',
    'Tesla V100': 'Tesla V100-SXM2-32GB',
    'A100 SXM4': 'NVIDIA A100-SXM4-80GB',
    'A100 PCIE': 'NVIDIA A100-PCIE-40GB',
    'A100 PCIE 80GB': 'NVIDIA A100 80GB PCIe',
    'H100 PCIE': 'NVIDIA H100 PCIe',
    'H100 SXM': 'NVIDIA H100 80GB HBM3',
    'RTX 6000Ada': 'NVIDIA RTX 6000 Ada Generation',
    MI250: 'AMD Instinct MI250',
    MI300X: 'AMD Instinct MI300X',
  };
  const name = special[model.marketName];
  if (name) return name;
  if (/^(GTX|RTX \d{4})/.test(model.marketName)) return `NVIDIA GeForce ${model.marketName}`;
  return `NVIDIA ${model.marketName}`;
}

/** Board power limit in watts; figures from the product briefs, a sensible default otherwise. */
function powerCapWatts(model: GpuModel): number {
  const caps: Record<string, number> = {
    'RTX 4090': 450,
    'RTX 5090': 575,
    'RTX 3090': 350,
    'RTX 3090 Ti': 450,
    'RTX 3080': 320,
    'RTX 4080': 320,
    'RTX 5080': 360,
    'Tesla T4': 70,
    L4: 72,
    A10: 150,
    A10G: 300,
    'H100 SXM': 700,
    'H100 NVL': 400,
    H200: 700,
    B200: 1000,
    'A100 SXM4': 400,
    MI300X: 750,
    MI250: 560,
  };
  return caps[model.marketName] ?? (model.vramGb >= 40 ? 300 : 250);
}

function gpuUuid(instanceId: number, index: number): string {
  const h = createHash('sha256').update(`gpuops-sim:${instanceId}:${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function busId(index: number): string {
  return `00000000:${(index + 1).toString(16).toUpperCase().padStart(2, '0')}:00.0`;
}

/** The default `nvidia-smi` table for an idle board. */
export function nvidiaSmiTable(board: GpuBoard): string {
  const name = driverGpuName(board.model);
  const cap = powerCapWatts(board.model);
  const cuda = board.cudaVersion.toFixed(1);
  const line = (s: string) => `${s}\n`;
  let out = '';
  out += line('+-----------------------------------------------------------------------------------------+');
  out += line(
    `| NVIDIA-SMI ${board.driverVersion.padEnd(22)} Driver Version: ${board.driverVersion.padEnd(14)} CUDA Version: ${cuda.padEnd(9)}|`,
  );
  out += line('|-----------------------------------------+------------------------+----------------------+');
  out += line('| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |');
  out += line('| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |');
  out += line('|                                         |                        |               MIG M. |');
  out += line('|=========================================+========================+======================|');
  // Cells are right-aligned within the fixed column widths nvidia-smi uses (41, 24 and 22).
  const cell = (left: string, right: string, width: number) => left + right.padStart(width - left.length);
  for (let i = 0; i < board.numGpus; i++) {
    const gpuName = name.length > 30 ? `${name.slice(0, 27)}...` : name;
    const power = `${Math.round(cap * 0.05)}W / ${String(cap).padStart(4)}W `;
    out += line(
      `|${cell(`${String(i).padStart(4)}  ${gpuName}`, 'On  ', 41)}|${cell(`   ${busId(i)}`, 'Off ', 24)}|${cell('', 'Off ', 22)}|`,
    );
    out += line(
      `|${cell(` N/A   ${30 + i}C    P8`, power, 41)}|${cell('', `1MiB / ${String(board.memoryMb).padStart(6)}MiB `, 24)}|${cell('      0%', 'Default ', 22)}|`,
    );
    out += line(`|${' '.repeat(41)}|${' '.repeat(24)}|${cell('', 'N/A ', 22)}|`);
    out += line(
      '+-----------------------------------------+------------------------+----------------------+',
    );
  }
  out += line('');
  out += line('+-----------------------------------------------------------------------------------------+');
  out += line('| Processes:                                                                              |');
  out += line('|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |');
  out += line('|        ID   ID                                                               Usage      |');
  out += line('|=========================================================================================|');
  out += line('|  No running processes found                                                             |');
  out += line('+-----------------------------------------------------------------------------------------+');
  return out;
}

/** Single-quotes a string for sh. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The script body. Per-GPU values are shell variables indexed by the GPU number. */
export function nvidiaSmiScript(board: GpuBoard): string {
  const name = driverGpuName(board.model);
  const cap = powerCapWatts(board.model);
  const uuids = Array.from({ length: board.numGpus }, (_, i) => gpuUuid(board.instanceId, i));
  const listLines = uuids.map((u, i) => `GPU ${i}: ${name} (UUID: ${u})`).join('\n');
  const computeCap = board.model.computeCap > 0 ? board.model.computeCap.toFixed(1) : '[N/A]';
  return `#!/bin/sh
# nvidia-smi stand-in for simulated instance ${board.instanceId} (${board.numGpus}x ${name}).
NUM=${board.numGpus}
NAME=${shQuote(name)}
MEM=${board.memoryMb}
DRIVER=${shQuote(board.driverVersion)}
CAP=${cap}
CC=${shQuote(computeCap)}
UUIDS=${shQuote(uuids.join(' '))}

query=""
format=""
list=""
want_query_value=""
want_format_value=""
for arg in "$@"; do
  if [ -n "$want_query_value" ]; then query="$arg"; want_query_value=""; continue; fi
  if [ -n "$want_format_value" ]; then format="$arg"; want_format_value=""; continue; fi
  case "$arg" in
    --query-gpu=*) query="\${arg#--query-gpu=}" ;;
    --query-gpu) want_query_value=1 ;;
    --format=*) format="\${arg#--format=}" ;;
    --format) want_format_value=1 ;;
    -L|--list-gpus) list=1 ;;
  esac
done

if [ -n "$list" ]; then
  cat <<'LIST'
${listLines}
LIST
  exit 0
fi

if [ -z "$query" ]; then
  date '+%a %b %e %H:%M:%S %Y'
  cat <<'TABLE'
${nvidiaSmiTable(board).trimEnd()}
TABLE
  exit 0
fi

case "$format" in
  csv*) ;;
  *) echo "Please specify a valid format with --format=csv[,noheader][,nounits]." >&2; exit 2 ;;
esac
noheader=""
nounits=""
case "$format" in *noheader*) noheader=1 ;; esac
case "$format" in *nounits*) nounits=1 ;; esac
u() { if [ -z "$nounits" ]; then printf ' %s' "$1"; fi; }

fields=$(printf '%s' "$query" | tr ',' ' ')
for f in $fields; do
  case "$f" in
    name|gpu_name|memory.total|memory.used|memory.free|utilization.gpu|utilization.memory|temperature.gpu|\\
    driver_version|index|uuid|gpu_uuid|pci.bus_id|power.draw|power.limit|compute_cap|count|pstate) ;;
    *) echo "Field \\"$f\\" is not a valid field to query." >&2; exit 2 ;;
  esac
done

if [ -z "$noheader" ]; then
  header=""
  for f in $fields; do
    case "$f" in
      memory.*) h="$f [MiB]" ;;
      utilization.*) h="$f [%]" ;;
      power.*) h="$f [W]" ;;
      *) h="$f" ;;
    esac
    if [ -n "$nounits" ]; then h="$f"; fi
    if [ -z "$header" ]; then header="$h"; else header="$header, $h"; fi
  done
  echo "$header"
fi

i=0
while [ "$i" -lt "$NUM" ]; do
  row=""
  for f in $fields; do
    case "$f" in
      name|gpu_name) v="$NAME" ;;
      memory.total) v="$MEM$(u MiB)" ;;
      memory.used) v="1$(u MiB)" ;;
      memory.free) v="$((MEM - 1))$(u MiB)" ;;
      utilization.gpu|utilization.memory) v="0$(u %)" ;;
      temperature.gpu) v="$((30 + i))" ;;
      driver_version) v="$DRIVER" ;;
      index) v="$i" ;;
      uuid|gpu_uuid) v=$(printf '%s' "$UUIDS" | cut -d' ' -f$((i + 1))) ;;
      pci.bus_id) v=$(printf '00000000:%02X:00.0' $((i + 1))) ;;
      power.draw) v="$((CAP / 20)).00$(u W)" ;;
      power.limit) v="$CAP.00$(u W)" ;;
      compute_cap) v="$CC" ;;
      count) v="$NUM" ;;
      pstate) v="P8" ;;
    esac
    if [ -z "$row" ]; then row="$v"; else row="$row, $v"; fi
  done
  echo "$row"
  i=$((i + 1))
done
`;
}
