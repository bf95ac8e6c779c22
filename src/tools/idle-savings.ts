import { type AutoPause, listAutoPauses, savedUsd } from '../../db/repositories/auto-pauses.ts';
import { formatDuration, formatPrice, formatUsd, renderTable } from '../format/text.ts';
import { type IDLE_SAVINGS_PERIODS, idleSavingsSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/**
 * "how much did auto-pause save this week?": from the audit log's automatic pauses, what each
 * one's machine would have cost over the part of the period it was paused (its price per hour
 * times those hours), up to now for those still paused.
 */

export type SavingsPeriod = (typeof IDLE_SAVINGS_PERIODS)[number];

const PERIOD_WORDS: Record<SavingsPeriod, string> = {
  today: 'today',
  week: 'this week',
  month: 'this month',
  all: 'since it began',
};

/** Where a period starts, in UTC: midnight, Monday's midnight, the 1st's, or the beginning. */
export function periodStart(period: SavingsPeriod, now: Date): Date {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (period) {
    case 'today':
      return new Date(day);
    case 'week':
      // getUTCDay: Sunday 0 ... Saturday 6; weeks start on Monday.
      return new Date(day - ((now.getUTCDay() + 6) % 7) * 86_400_000);
    case 'month':
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    case 'all':
      return new Date(0);
  }
}

export interface PauseSaving {
  pause: AutoPause;
  /** The paused stretch inside the period. */
  fromMs: number;
  toMs: number;
  usd: number;
}

export interface Savings {
  totalUsd: number;
  pausedMs: number;
  pauses: PauseSaving[];
}

/** What the pauses saved between `from` and `to`: each one's price times its paused hours in that span. */
export function savingsBetween(pauses: readonly AutoPause[], from: Date, to: Date): Savings {
  const lines: PauseSaving[] = [];
  for (const pause of pauses) {
    const fromMs = Math.max(pause.pausedAt.getTime(), from.getTime());
    const toMs = Math.min(pause.endedAt?.getTime() ?? to.getTime(), to.getTime());
    if (toMs <= fromMs) continue;
    lines.push({ pause, fromMs, toMs, usd: savedUsd(pause, fromMs, toMs) });
  }
  return {
    totalUsd: lines.reduce((sum, l) => sum + l.usd, 0),
    pausedMs: lines.reduce((sum, l) => sum + (l.toMs - l.fromMs), 0),
    pauses: lines,
  };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export const idleSavingsTool = defineTool({
  name: 'idle_savings',
  description:
    "How much money auto-pause saved this channel (today, this week, this month or in all): each automatic pause's price per hour, less its disk (billed while paused), times the hours its instance stayed paused.",
  schema: idleSavingsSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const period = args.period ?? 'week';
    const now = new Date();
    const from = periodStart(period, now);
    const pauses = await listAutoPauses(services.db, { channel: ctx.channel, since: from });
    const savings = savingsBetween(pauses, from, now);
    const when = `${PERIOD_WORDS[period]}${period === 'all' ? '' : ` (since ${stamp(from.getTime())} UTC)`}`;
    const data = {
      period,
      from: from.toISOString(),
      to: now.toISOString(),
      saved_usd: Math.round(savings.totalUsd * 100) / 100,
      paused_hours: Math.round((savings.pausedMs / 3_600_000) * 100) / 100,
      pauses: savings.pauses.map((l) => ({
        instance: l.pause.instance,
        operation: l.pause.operationId,
        price_per_hour: l.pause.pricePerHour,
        disk_per_hour: l.pause.diskPerHour,
        paused_at: l.pause.pausedAt.toISOString(),
        ended_at: l.pause.endedAt?.toISOString() ?? null,
        ended_by: l.pause.endedBy,
        hours_in_period: Math.round(((l.toMs - l.fromMs) / 3_600_000) * 1e4) / 1e4,
        saved_usd: Math.round(l.usd * 1e4) / 1e4,
      })),
    };
    if (savings.pauses.length === 0) {
      return {
        text: `Auto-pause saved ${formatUsd(0)} ${when}: it paused nothing in this channel in that time.`,
        data,
      };
    }
    const n = savings.pauses.length;
    const rows = savings.pauses.map((l) => [
      l.pause.instance,
      l.pause.diskPerHour > 0
        ? `${formatPrice(l.pause.pricePerHour)} (disk ${formatPrice(l.pause.diskPerHour)})`
        : formatPrice(l.pause.pricePerHour),
      stamp(l.pause.pausedAt.getTime()),
      l.pause.endedAt ? `${stamp(l.pause.endedAt.getTime())} (${l.pause.endedBy})` : 'still paused',
      formatDuration(l.toMs - l.fromMs),
      formatUsd(l.usd),
    ]);
    const table = renderTable(['instance', 'price', 'paused (UTC)', 'until', 'in period', 'saved'], rows);
    return {
      text:
        `Auto-pause saved ${formatUsd(savings.totalUsd)} ${when}: ${n} pause${n === 1 ? '' : 's'}, ${formatDuration(savings.pausedMs)} paused (each machine's price per hour, less its disk, which bills while paused, × its paused hours).\n` +
        table,
      data,
    };
  },
});
