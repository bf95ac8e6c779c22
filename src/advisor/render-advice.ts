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
      `Pick: ${pick.count}x ${pick.gpu} at ${formatPrice(pick.price_per_hour)} (offer ${pick.offer_id}): ${pick.reason}.`,
      'Say "deploy it" to rent it, or "deploy the <GPU> option instead".',
    );
  } else if (advice.reason) {
    lines.push(advice.reason);
  }
  const keyAssumption = speedAssumptions()[w.task === 'inference' ? 0 : 4];
  lines.push(`_Estimates, not measurements. ${keyAssumption ?? ''} All assumptions: gpuops advise --json._`);
  return lines.join('\n');
}

/** The top setups as table headers and rows; the cost column follows the unit of work. */
function pickTable(picks: Recommendation[]): [string[], string[][]] {
  const first = picks[0]!;
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
    r.location,
    `${(r.reliability * 100).toFixed(1)}%`,
  ]);
  return [headers, rows];
}
