/**
 * Offline planner benchmark: 1,000 varied requests built from templates × GPU spellings × price,
 * count and region phrasings (seeded, so every run plans the same requests), timed one by one after
 * a warm-up. Prints the median and p99 time per request and the share planned into tool calls.
 *
 *   npx tsx bench/plan-bench.ts [--n 1000] [--seed 42]
 */
import { performance } from 'node:perf_hooks';
import { planRequest } from '../src/agent/planner/index.ts';
import { createRng } from '../src/cloud/sim/prng.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : Number.NaN;
  return Number.isFinite(value) ? value : fallback;
}

const GPUS = [
  '4090',
  'rtx4090',
  'RTX-4090',
  'geforce 4090',
  'RTX 4090',
  '3090',
  'rtx 3090',
  'A100 80GB',
  'a100-80gb',
  'A100 80G',
  'A100',
  'h100 sxm',
  'H100',
  'H200',
  'l40s',
  'L40S',
  'MI300X',
  'a6000',
  'RTX A6000',
  'A40',
  'L4',
  'T4',
  'V100',
  '5090',
  'rtx 3060',
  '4080',
  'A10G',
  'b200',
  'H100 NVL',
  'rtx 6000 ada',
];
const PRICES = [
  'under $0.5/hr',
  'for $0.45 per hour',
  'under 50 cents',
  'at 50c/hr',
  'under 1 dollar',
  'below $2',
  'less than 0.3 usd/h',
  'max $1.20',
  'at most 80¢',
  'under a buck',
  'under $3.50 an hour',
  'no more than $0.9/hr',
  'for under 60 cents an hour',
  '',
  '',
  '',
];
const COUNTS = [
  '',
  '',
  '2x ',
  'two ',
  'a pair of ',
  'a couple of ',
  '4x ',
  '8x',
  'dual ',
  'quad ',
  'single ',
  '3 ',
];
const REGIONS = [
  '',
  '',
  'in Europe',
  'in the US',
  'in EU',
  'in north america',
  'in asia',
  'in Germany',
  'in DE',
  'in japan',
];
const IMAGES = [
  '',
  '',
  'with pytorch',
  'with the vllm image',
  'using tensorflow',
  'with vllm/vllm-openai:latest',
  'with cuda',
];
const DISKS = ['', '', 'with 200 GB disk', '100gb storage', 'disk 500'];
const FILTERS = [
  '',
  '',
  'with at least 0.98 reliability',
  '99% reliable',
  'sorted by reliability',
  'best value',
  'top 5',
];
const IDS = ['i-3', 'i-12', 'instance 7', 'i-3 and i-4', 'i-42'];

type Template = (pick: <T>(list: readonly T[]) => T) => string;

const TEMPLATES: readonly Template[] = [
  (p) => `find ${p(COUNTS)}${p(GPUS)} ${p(PRICES)} ${p(REGIONS)} ${p(FILTERS)}`,
  (p) => `show me ${p(GPUS)} offers ${p(REGIONS)} ${p(PRICES)}`,
  (p) => `cheapest ${p(GPUS)} ${p(REGIONS)}`,
  (p) => `any gpus ${p(PRICES)} ${p(REGIONS)}`,
  (p) => `list offers for ${p(GPUS)} ${p(FILTERS)}`,
  (p) => `deploy ${p(COUNTS)}${p(GPUS)} ${p(IMAGES)} ${p(PRICES)} ${p(REGIONS)}`,
  (p) => `rent ${p(COUNTS)}${p(GPUS)}, ${p(DISKS)} ${p(PRICES)}`,
  (p) => `spin up ${p(COUNTS)}${p(GPUS)} ${p(PRICES)} ${p(IMAGES)}`,
  (p) => `launch ${p(COUNTS)}${p(GPUS)} ${p(REGIONS)} ${p(DISKS)}`,
  (p) => `<@U024BE7LH> get me a ${p(GPUS)} ${p(IMAGES)}`,
  (p) => `${p(['pause', 'stop', 'suspend'])} ${p(IDS)}`,
  (p) => `${p(['resume', 'unpause', 'restart', 'start'])} ${p(IDS)}`,
  (p) => `${p(['destroy', 'terminate', 'kill', 'tear down'])} ${p(IDS)}`,
  (p) => `${p(['status of', 'how is', 'details for', 'ssh for'])} ${p(IDS)}`,
  (p) => p(['list my instances', "what's running?", 'show my machines', 'my gpus', 'show stopped instances']),
];

function generate(n: number, seed: number): string[] {
  const random = createRng(seed).next;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const requests: string[] = [];
  for (let i = 0; i < n; i++) requests.push(pick(TEMPLATES)(pick).replace(/\s+/g, ' ').trim());
  return requests;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const n = option('n', 1000);
const requests = generate(n, option('seed', 42));

// Warm-up: let V8 compile the regexes and optimise the hot paths before timing.
for (let round = 0; round < 3; round++) for (const request of requests) planRequest(request);

const micros: number[] = [];
let understood = 0;
const missed: string[] = [];
for (const request of requests) {
  const start = performance.now();
  const plan = planRequest(request);
  micros.push((performance.now() - start) * 1000);
  if (plan.kind === 'calls') understood++;
  else if (missed.length < 5) missed.push(`${plan.kind}: ${request}`);
}
micros.sort((a, b) => a - b);

console.log(
  `plan: n=${n} median=${percentile(micros, 0.5).toFixed(1)}us p99=${percentile(micros, 0.99).toFixed(1)}us understood=${((understood / n) * 100).toFixed(1)}%`,
);
for (const line of missed) console.log(`  not planned: ${line}`);
