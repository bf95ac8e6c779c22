/**
 * `gpuops plan "<text>" --json` as a command: what a script calling it waits for, process start
 * (Node and the TypeScript loader) included. The planner's own time per request is in
 * plan-bench.ts; the difference is start-up.
 *
 *   npx tsx bench/cli-plan-bench.ts [--runs 20]
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { GPUOPS_DEV_BIN } from '../tests/support/cli.ts';
import { option, summarize } from './stats.ts';

const runs = option('runs', 20);
const REQUESTS = [
  'deploy a 4090 with pytorch under 50 cents an hour',
  'rent 2x A100 80GB, 200 GB disk',
  'pause i-3',
];
const samples: number[] = [];
for (let i = 0; i < runs + 2; i++) {
  const started = performance.now();
  execFileSync(process.execPath, [GPUOPS_DEV_BIN, 'plan', REQUESTS[i % REQUESTS.length]!, '--json'], {
    stdio: 'pipe',
  });
  if (i >= 2) samples.push(performance.now() - started);
}
const s = summarize(samples);
console.log(
  `cli-plan: runs=${s.n} median=${s.median.toFixed(0)}ms p99=${s.p99.toFixed(0)}ms (process start included)`,
);
