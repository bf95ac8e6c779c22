import { formatPrice, renderTable } from '../bots/render.ts';
import type { Advice } from './advise.ts';
import { speedAssumptions } from './speed.ts';
import type { Recommendation } from './types.ts';

/** The advisor's answer as a chat message: the arithmetic, a short table, the pick and how to deploy it. */
export function renderAdvice(advice: Advice): string {
  const w = advice.workload;
  const m = advice.memory_gb;
  const task =
    w.task === 'inference'
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
  const fitting = advice.configurations.slice(0, 6).map((c) => `${c.count}x ${c.gpu}`);
  if (fitting.length > 0)
    lines.push(
      `Smallest setups that fit: ${fitting.join(', ')}${advice.configurations.length > 6 ? ', …' : ''}`,
    );

  const picks = [advice.recommendation, ...advice.alternatives].filter(
    (r): r is Recommendation => r !== null,
  );
  if (picks.length > 0) {
    const perWork =
      picks[0]!.usd_per_million_tokens !== undefined
        ? '$/Mtok'
        : picks[0]!.usd_per_run !== undefined
          ? '$/run'
          : '';
    lines.push(
      '```',
      renderTable(
        ['#', 'setup', '$/hr', 'tok/s', perWork, 'where', 'reliab.'].filter((h) => h !== ''),
        picks.map((r, i) =>
          [
            String(i + 1),
            `${r.count}x ${r.gpu}`,
            r.price_per_hour.toFixed(3),
            r.est_tokens_per_s !== undefined ? String(r.est_tokens_per_s) : '-',
            perWork === '$/Mtok'
              ? (r.usd_per_million_tokens?.toFixed(3) ?? '-')
              : perWork === '$/run'
                ? (r.usd_per_run?.toFixed(2) ?? '-')
                : null,
            r.location,
            `${(r.reliability * 100).toFixed(1)}%`,
          ].filter((c): c is string => c !== null),
        ),
      ),
      '```',
    );
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
