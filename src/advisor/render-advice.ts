import { formatPrice, renderTable } from '../format/text.ts';
import type { Advice } from './advise.ts';
import { speedAssumptions } from './speed.ts';
import type { Recommendation } from './types.ts';

/** The advisor's answer as a chat message: the arithmetic, a short table, the pick and how to deploy it. */
export function renderAdvice(advice: Advice): string {
  const w = advice.workload;
  const m = advice.memory_gb;
  const task =
    w.kind === 'diffusion'
      ? `image generation · ${w.precision} · ${w.context}px × ${w.batch} image${w.batch === 1 ? '' : 's'} at once`
      : w.task === 'inference'
        ? `inference · ${w.precision} · ${w.context.toLocaleString('en-US')} tokens × ${w.batch} concurrent`
        : `${w.task} · ${w.precision} · seq ${w.context.toLocaleString('en-US')} × batch ${w.batch}${w.gradient_checkpointing ? ' · checkpointing' : ''}${w.lora_rank ? ` · rank ${w.lora_rank}` : ''}`;
  const parts = (
    [
      ['weights', m.weights],
      ['KV cache', m.kv_cache],
      ['activations', m.activations],
      ['optimizer', m.optimizer],
      ['gradients', m.gradients],
      ['overhead', m.overhead],
    ] as const
  )
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(' + ');
  const lines = [
    `*${w.model}*${w.model_estimated ? ' (shape estimated from its size)' : ''} · ${task}`,
    `Memory: ${m.total} GB = ${parts}`,
  ];
  const size = describeSize(advice);
  if (size) lines.push(size);
  if (advice.checked) lines.push(...advice.checked.map((c) => c.verdict));
  if (advice.comparison) lines.push(advice.comparison);
  const fitting = advice.configurations.slice(0, 6).map((c) => `${c.count}x ${c.gpu}`);
  if (fitting.length > 0)
    lines.push(
      `Smallest setups that fit: ${fitting.join(', ')}${advice.configurations.length > 6 ? ', …' : ''}`,
    );

  const picks = [advice.recommendation, ...advice.alternatives].filter(
    (r): r is Recommendation => r !== null,
  );
  if (picks.length > 0) {
    lines.push('```', renderTable(...pickTable(picks)), '```');
    const pick = advice.recommendation!;
    lines.push(
      `Pick: ${pick.count}x ${pick.gpu} at ${formatPrice(pick.price_per_hour)} (offer ${pick.offer_id}): ${pick.reason}${pickTotals(pick)}.`,
    );
    // Said once per GPU model: what runs differently on it than asked.
    const verdicts = new Set(advice.checked?.map((c) => c.gpu));
    const notes = new Map(
      picks.flatMap((r) =>
        r.precision_note && !verdicts.has(r.gpu) ? [[r.gpu, r.precision_note] as const] : [],
      ),
    );
    for (const [gpu, note] of notes) lines.push(`${gpu}: ${note}.`);
    lines.push('Say "deploy it" to rent it, or "deploy the <GPU> option instead".');
  } else if (advice.reason) {
    lines.push(advice.reason);
  }
  const near = advice.near_fit;
  if (near) {
    const names = near.gpus.length > 3 ? `${near.gpus.slice(0, 3).join(', ')}, …` : near.gpus.join(', ');
    lines.push(
      `Near the edge: one ${near.vram_gb} GB GPU (${names}) holds it with ${near.change} (${near.need_gb} of ${near.usable_gb} GB usable).`,
    );
  }
  for (const a of advice.assumptions.filter(isDefaultForSize)) lines.push(`_${a}_`);
  const keyAssumption = speedAssumptions().find((a) =>
    w.task === 'inference' ? a.startsWith('Decode reaches') : a.startsWith('Training:'),
  );
  lines.push(`_Estimates, not measurements. ${keyAssumption ?? ''} All assumptions: gpuops advise --json._`);
  return lines.join('\n');
}

/** The job's size in one line: the run's tokens, or the serving load. */
function describeSize(advice: Advice): string | undefined {
  const run = advice.run;
  if (run) {
    const epochs = `${run.epochs} epoch${run.epochs === 1 ? '' : 's'}`;
    const parts =
      run.examples !== undefined && run.tokens_per_example !== undefined
        ? `${run.examples.toLocaleString('en-US')} examples × ${run.tokens_per_example.toLocaleString('en-US')} tokens${run.tokens_per_example_assumed ? ' (assumed average)' : ''} × ${epochs}`
        : `${tokens(run.total_tokens / run.epochs)} tokens × ${epochs}`;
    return `Run: ${parts} = ${tokens(run.total_tokens)} tokens`;
  }
  const load = advice.load;
  if (load) {
    return `Load: ${load.requests_per_second} requests/s × ${load.tokens_per_request} tokens${load.tokens_per_request_assumed ? ' (assumed)' : ''} = ${Math.round(load.tokens_per_day / 86_400).toLocaleString('en-US')} tokens/s, ${tokens(load.tokens_per_day)} a day; ${load.sequences_per_replica} at once per copy`;
  }
  return undefined;
}

/** The whole run's time and cost, or the day's cost at the load, after the pick's reason. */
function pickTotals(pick: Recommendation): string {
  if (pick.usd_per_run !== undefined && pick.est_hours !== undefined) {
    return `; the whole run takes ~${hours(pick.est_hours)} and costs ~$${pick.usd_per_run.toFixed(2)}`;
  }
  if (pick.usd_per_day !== undefined) {
    const copies = pick.replicas !== undefined && pick.replicas > 1 ? ` for ${pick.replicas} copies` : '';
    return `; $${pick.usd_per_day.toFixed(2)} a day${copies}`;
  }
  return '';
}

/** The defaults a run or load was sized with are said in the answer itself, not only in --json. */
function isDefaultForSize(assumption: string): boolean {
  return /^(?:Each training example is assumed|Each request is assumed|One copy of a setup serves)/.test(
    assumption,
  );
}

function tokens(n: number): string {
  if (n >= 1e9) return `${trim(n / 1e9)}B`;
  if (n >= 1e6) return `${trim(n / 1e6)}M`;
  if (n >= 1e4) return `${trim(n / 1e3)}k`;
  return Math.round(n).toLocaleString('en-US');
}

function trim(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function hours(h: number): string {
  return h < 1 ? `${Math.max(1, Math.round(h * 60))} min` : `${h} h`;
}

/** The top setups as table headers and rows; the cost column follows the unit of work. */
function pickTable(picks: Recommendation[]): [string[], string[][]] {
  const first = picks[0]!;
  const daily = first.usd_per_day !== undefined;
  const copies = picks.some((r) => r.replicas !== undefined && r.replicas > 1);
  const cost: [string, (r: Recommendation) => number | undefined, number] | undefined =
    first.usd_per_million_tokens !== undefined
      ? ['$/Mtok', (r) => r.usd_per_million_tokens, 3]
      : first.usd_per_run !== undefined
        ? ['$/run', (r) => r.usd_per_run, 2]
        : first.usd_per_million_training_tokens !== undefined
          ? ['$/M train tok', (r) => r.usd_per_million_training_tokens, 3]
          : undefined;
  const hours = first.est_hours !== undefined;
  const tokens = picks.some((r) => r.est_tokens_per_s !== undefined);
  const headers = [
    '#',
    'setup',
    '$/hr',
    ...(tokens ? ['tok/s'] : []),
    ...(cost ? [cost[0]] : []),
    ...(hours ? ['hours'] : []),
    ...(copies ? ['copies'] : []),
    ...(daily ? ['$/day'] : []),
    'where',
    'reliab.',
  ];
  const rows = picks.map((r, i) => [
    String(i + 1),
    `${r.count}x ${r.gpu}`,
    r.price_per_hour.toFixed(3),
    ...(tokens ? [r.est_tokens_per_s !== undefined ? String(r.est_tokens_per_s) : '-'] : []),
    ...(cost ? [cost[1](r)?.toFixed(cost[2]) ?? '-'] : []),
    ...(hours
      ? [
          r.est_hours === undefined
            ? '-'
            : r.est_hours >= 100
              ? Math.round(r.est_hours).toLocaleString('en-US')
              : String(r.est_hours),
        ]
      : []),
    ...(copies ? [String(r.replicas ?? 1)] : []),
    ...(daily ? [r.usd_per_day?.toFixed(2) ?? '-'] : []),
    r.location,
    `${(r.reliability * 100).toFixed(1)}%`,
  ]);
  return [headers, rows];
}
