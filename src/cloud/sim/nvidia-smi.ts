import { createHash } from 'node:crypto';
import { shellQuote } from '../../util/shell-quote.ts';
import type { GpuModel } from '../gpu-catalog.ts';

/**
 * A stand-in `nvidia-smi` for simulated instances: a POSIX shell script, so it starts fast and
 * needs nothing installed, that answers the calls health checks and the idle check make: the
 * default table, `-L`, and `--query-gpu=<fields> --format=csv[,noheader][,nounits]`.
 *
 * GPU work is what a process running on the GPU does: `gpu-burn` (the stand-in of the well-known
 * burn-in tool, see gpuBurnScript) registers itself in the instance's load folder while it runs,
 * and nvidia-smi reports the utilisation of the live ones (0% when none is alive), with their
 * memory, power and processes. When the process exits, or is killed, utilisation drops.
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
  /**
   * Where running GPU work registers itself: one file per process, named by its pid, holding
   * "<gpu index or all> <utilisation %>". Outside the workspace, so snapshots never carry it.
   */
  loadDir: string;
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

const TABLE_RULE =
  '+-----------------------------------------+------------------------+----------------------+';

/** Cells are right-aligned within the fixed column widths nvidia-smi uses (41, 24 and 22). */
function cell(left: string, right: string, width: number): string {
  return left + right.padStart(width - left.length);
}

/** The default table's lines above the GPUs. */
function tableHead(board: GpuBoard): string[] {
  const cuda = board.cudaVersion.toFixed(1);
  return [
    '+-----------------------------------------------------------------------------------------+',
    `| NVIDIA-SMI ${board.driverVersion.padEnd(22)} Driver Version: ${board.driverVersion.padEnd(14)} CUDA Version: ${cuda.padEnd(9)}|`,
    '|-----------------------------------------+------------------------+----------------------+',
    '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
    '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
    '|                                         |                        |               MIG M. |',
    '|=========================================+========================+======================|',
  ];
}

/** A GPU's first table line: index, name, bus id; nothing in it changes with load. */
function tableGpuLine(board: GpuBoard, index: number): string {
  const name = driverGpuName(board.model);
  const gpuName = name.length > 30 ? `${name.slice(0, 27)}...` : name;
  return `|${cell(`${String(index).padStart(4)}  ${gpuName}`, 'On  ', 41)}|${cell(`   ${busId(index)}`, 'Off ', 24)}|${cell('', 'Off ', 22)}|`;
}

const PROCESSES_HEAD = [
  '',
  '+-----------------------------------------------------------------------------------------+',
  '| Processes:                                                                              |',
  '|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |',
  '|        ID   ID                                                               Usage      |',
  '|=========================================================================================|',
];
const NO_PROCESSES =
  '|  No running processes found                                                             |';
const TABLE_END =
  '+-----------------------------------------------------------------------------------------+';

/**
 * Shell functions both scripts share: `load_entries` prints "<pid> <gpu> <util>" for every live
 * process registered in the load folder (forgetting dead ones), `gpu_util <i>` the utilisation of
 * GPU i: the highest of the processes on it, 0 when none runs.
 */
function loadFunctions(loadDir: string): string {
  return `LOAD_DIR=${shellQuote(loadDir)}

# True while the process runs: kill -0 alone would count a zombie nobody reaped.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    case "$state" in Z|X|'') return 1 ;; esac
  fi
  return 0
}

load_entries() {
  [ -d "$LOAD_DIR" ] || return 0
  for f in "$LOAD_DIR"/*; do
    [ -f "$f" ] || continue
    pid=\${f##*/}
    if alive "$pid"; then
      read -r lgpu lutil < "$f" || true
      [ -n "$lutil" ] && echo "$pid $lgpu $lutil"
    else
      rm -f "$f"
    fi
  done
}

gpu_util() {
  best=0
  entries=$(load_entries)
  [ -n "$entries" ] || { echo 0; return; }
  while read -r _pid lgpu lutil; do
    if [ "$lgpu" = all ] || [ "$lgpu" = "$1" ]; then
      if [ "$lutil" -gt "$best" ]; then best=$lutil; fi
    fi
  done <<ENTRIES
$entries
ENTRIES
  echo "$best"
}`;
}

/** The script body. Per-GPU values are shell variables indexed by the GPU number. */
export function nvidiaSmiScript(board: GpuBoard): string {
  const name = driverGpuName(board.model);
  const cap = powerCapWatts(board.model);
  const uuids = Array.from({ length: board.numGpus }, (_, i) => gpuUuid(board.instanceId, i));
  const listLines = uuids.map((u, i) => `GPU ${i}: ${name} (UUID: ${u})`).join('\n');
  const computeCap = board.model.computeCap > 0 ? board.model.computeCap.toFixed(1) : '[N/A]';
  const gpuLines = Array.from({ length: board.numGpus }, (_, i) => tableGpuLine(board, i));
  return `#!/bin/sh
# nvidia-smi stand-in for simulated instance ${board.instanceId} (${board.numGpus}x ${name}).
NUM=${board.numGpus}
NAME=${shellQuote(name)}
MEM=${board.memoryMb}
DRIVER=${shellQuote(board.driverVersion)}
CAP=${cap}
CC=${shellQuote(computeCap)}
UUIDS=${shellQuote(uuids.join(' '))}
${loadFunctions(board.loadDir)}

# What GPU i shows under the load it has now: utilisation, memory used, power, state, temperature.
gpu_state() {
  util=$(gpu_util "$1")
  if [ "$util" -gt 0 ]; then
    used=$((MEM * 9 / 10)); pstate=P0; temp=$((60 + $1 + util / 10))
    power=$((CAP / 20 + (CAP - CAP / 20) * util / 100))
  else
    used=1; pstate=P8; temp=$((30 + $1)); power=$((CAP / 20))
  fi
}

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
${tableHead(board).join('\n')}
TABLE
  i=0
  while [ "$i" -lt "$NUM" ]; do
    case "$i" in
${gpuLines.map((line, i) => `      ${i}) echo ${shellQuote(line)} ;;`).join('\n')}
    esac
    gpu_state "$i"
    left=" N/A   \${temp}C    $pstate"
    watts="\${power}W / $(printf '%4s' "$CAP")W "
    memory="\${used}MiB / $(printf '%6s' "$MEM")MiB "
    # The power figure fills the rest of the 41-wide cell after the temperature and state.
    printf "|%s%$((41 - \${#left}))s|%24s|%7s%%%14s|\\n" "$left" "$watts" "$memory" "$util" 'Default '
    printf '|%41s|%24s|%22s|\\n' '' '' 'N/A '
    echo ${shellQuote(TABLE_RULE)}
    i=$((i + 1))
  done
  cat <<'TABLE'
${PROCESSES_HEAD.join('\n')}
TABLE
  entries=$(load_entries)
  if [ -z "$entries" ]; then
    echo ${shellQuote(NO_PROCESSES)}
  else
    while read -r pid lgpu _lutil; do
      i=0
      while [ "$i" -lt "$NUM" ]; do
        if [ "$lgpu" = all ] || [ "$lgpu" = "$i" ]; then
          printf '|  %3s   N/A  N/A  %9s      C   %-39s %8sMiB |\\n' "$i" "$pid" gpu-burn "$((MEM * 9 / 10))"
        fi
        i=$((i + 1))
      done
    done <<ENTRIES
$entries
ENTRIES
  fi
  echo ${shellQuote(TABLE_END)}
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
  gpu_state "$i"
  row=""
  for f in $fields; do
    case "$f" in
      name|gpu_name) v="$NAME" ;;
      memory.total) v="$MEM$(u MiB)" ;;
      memory.used) v="$used$(u MiB)" ;;
      memory.free) v="$((MEM - used))$(u MiB)" ;;
      utilization.gpu) v="$util$(u %)" ;;
      utilization.memory) v="$((util / 2))$(u %)" ;;
      temperature.gpu) v="$temp" ;;
      driver_version) v="$DRIVER" ;;
      index) v="$i" ;;
      uuid|gpu_uuid) v=$(printf '%s' "$UUIDS" | cut -d' ' -f$((i + 1))) ;;
      pci.bus_id) v=$(printf '00000000:%02X:00.0' $((i + 1))) ;;
      power.draw) v="$power.00$(u W)" ;;
      power.limit) v="$CAP.00$(u W)" ;;
      compute_cap) v="$CC" ;;
      count) v="$NUM" ;;
      pstate) v="$pstate" ;;
    esac
    if [ -z "$row" ]; then row="$v"; else row="$row, $v"; fi
  done
  echo "$row"
  i=$((i + 1))
done
`;
}

/**
 * A stand-in of `gpu_burn` (the burn-in tool many GPU images carry): while it runs, nvidia-smi
 * reports the GPUs it loads as busy, and when it exits (its time is up, Ctrl-C, SIGTERM, its
 * SSH session closed, the instance stopped) they are idle again.
 *
 *   gpu-burn [-u PERCENT] [-i GPU] [SECONDS]
 *
 * `-u` the utilisation it causes (default 100), `-i` one GPU by index (default all), SECONDS
 * how long it runs (default until stopped).
 */
export function gpuBurnScript(board: GpuBoard): string {
  return `#!/bin/sh
# gpu-burn stand-in for simulated instance ${board.instanceId}: loads its GPUs while it runs.
NUM=${board.numGpus}
LOAD_DIR=${shellQuote(board.loadDir)}
usage() { echo "usage: gpu-burn [-u PERCENT] [-i GPU] [SECONDS]"; }
util=100
gpu=all
secs=""
while [ $# -gt 0 ]; do
  case "$1" in
    -u|-i)
      if [ $# -lt 2 ]; then usage >&2; exit 2; fi
      if [ "$1" = -u ]; then util="$2"; else gpu="$2"; fi
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "gpu-burn: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) secs="$1"; shift ;;
  esac
done
case "$util" in ''|*[!0-9]*) echo "gpu-burn: -u takes a whole percentage, 1-100" >&2; exit 2 ;; esac
if [ "$util" -lt 1 ] || [ "$util" -gt 100 ]; then echo "gpu-burn: -u takes a whole percentage, 1-100" >&2; exit 2; fi
if [ "$gpu" != all ]; then
  case "$gpu" in ''|*[!0-9]*) echo "gpu-burn: -i takes a GPU index" >&2; exit 2 ;; esac
  if [ "$gpu" -ge "$NUM" ]; then echo "gpu-burn: there is no GPU $gpu (this machine has $NUM)" >&2; exit 2; fi
fi
case "$secs" in *[!0-9]*) echo "gpu-burn: SECONDS is a whole number" >&2; exit 2 ;; esac

mkdir -p "$LOAD_DIR"
me="$LOAD_DIR/$$"
sleeper=""
trap 'rm -f "$me"' EXIT
trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 143' TERM
trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 130' INT
trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 129' HUP
echo "$gpu $util" > "$me"
echo "gpu-burn: loading GPU $gpu at $util%\${secs:+ for $secs s} (pid $$)"
# Waiting on a background sleep lets a signal end the run at once.
if [ -n "$secs" ]; then
  sleep "$secs" & sleeper=$!
  wait "$sleeper"
else
  while :; do
    sleep 3600 & sleeper=$!
    wait "$sleeper"
  done
fi
echo "gpu-burn: done"
`;
}
