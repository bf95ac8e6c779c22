/** `npm run bench`: every benchmark in turn, each printing its own figures. */
import { spawnSync } from 'node:child_process';

const scripts = [
  ['bench/plan-bench.ts'],
  ['bench/cli-plan-bench.ts'],
  ['bench/start-bench.ts'],
  ['bench/first-progress-bench.ts', '--queue', 'redis'],
  ['bench/first-progress-bench.ts', '--queue', 'postgres'],
  ['bench/queue-bench.ts'],
  ['bench/rank-bench.ts'],
  // About 15 s: a whole gpuops on PGlite for one request through the agent.
  ['bench/agent-tokens-bench.ts'],
  // About a minute and a half: Slack through Bolt and its stand-ins (ack latency, API calls, edit budget).
  ['bench/chat-bench.ts'],
  // About a minute: 40 operations under worker kills and provider faults, then the records checked.
  ['bench/chaos-bench.ts'],
  // About half a minute: five failovers of a dead 4090, split into gpuops's overhead and the provider's waits.
  ['bench/failover-bench.ts'],
  // About a minute and a half: ten jobs one after another (`sleep 1`), gpuops's overhead beyond the
  // provider's boot, the command and the release, split into its parts.
  ['bench/job-overhead-bench.ts'],
  // About a minute and a half: three 20 s jobs printing a line every 300 ms, line-to-progress-message
  // delay through the real follower, with no edit limit and with Slack's and Discord's.
  ['bench/job-line-latency-bench.ts'],
  // About a minute and a half: 50 jobs at once on 3 workers killed every ~4 s; machines left billing.
  ['bench/jobs-at-once-bench.ts'],
  // About a quarter of an hour: 1,000 operations at once across 100 channels, on Redis and on the
  // embedded default; Slack's edit budget, not the queue, sets how long the drain takes.
  ['bench/ops-scale-bench.ts'],
];
let failed = 0;
for (const [script, ...args] of scripts) {
  console.log(`# ${script} ${args.join(' ')}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script!, ...args], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
