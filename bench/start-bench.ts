/**
 * Start-up: wall time of a whole gpuops command, process start to exit, beside a bare `node -e 0`.
 * Goals for the compiled bin (bin/gpuops.js): `--help` within 2x a bare Node start, `plan` within
 * 3x. The development bin (bin/gpuops-dev.js, TypeScript through tsx) is measured for comparison.
 * The commands take turns, so load from elsewhere on the machine falls on all of them alike.
 *
 *   npx tsx bench/start-bench.ts [--runs 15]   (builds dist/ first when it is missing or stale)
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ensureBuilt, GPUOPS_BIN, GPUOPS_DEV_BIN } from '../tests/support/cli.ts';
import { option, percentile } from './stats.ts';

const runs = option('runs', 15);
const WARM_UP = 2;
const PLAN = ['plan', 'deploy a 4090 under $0.50/hr', '--json'];

interface Command {
  name: string;
  args: string[];
  /** The goal, in times a bare Node start. */
  goal?: number;
}

const commands: Command[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'gpuops --help', args: [GPUOPS_BIN, '--help'], goal: 2 },
  { name: 'gpuops plan', args: [GPUOPS_BIN, ...PLAN], goal: 3 },
  { name: 'gpuops-dev --help', args: [GPUOPS_DEV_BIN, '--help'] },
  { name: 'gpuops-dev plan', args: [GPUOPS_DEV_BIN, ...PLAN] },
];

ensureBuilt();

// NODE_OPTIONS would load its modules into every command, bare Node included.
const { NODE_OPTIONS: _, ...inherited } = process.env;
const env = { ...inherited, GPUOPS_OFFLINE: 'true' };
const samples = new Map<string, number[]>(commands.map((c) => [c.name, []]));
for (let round = 0; round < runs + WARM_UP; round++) {
  for (const command of commands) {
    const started = performance.now();
    execFileSync(process.execPath, command.args, { env, stdio: 'pipe' });
    if (round >= WARM_UP) samples.get(command.name)!.push(performance.now() - started);
  }
}

const stats = (name: string) => {
  const sorted = [...samples.get(name)!].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p90: percentile(sorted, 90) };
};
const bare = stats('node -e 0').median;
for (const command of commands) {
  const { median, p90 } = stats(command.name);
  const ratio = median / bare;
  const goal = command.goal;
  const verdict = goal === undefined ? '' : ` (goal ${goal}x: ${ratio <= goal ? 'met' : 'MISSED'})`;
  console.log(
    `start ${command.name.padEnd(18)} runs=${runs} median=${median.toFixed(0)}ms p90=${p90.toFixed(0)}ms ${ratio.toFixed(1)}x bare node${verdict}`,
  );
}
