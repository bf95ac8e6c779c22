import type { ProgressView } from '../jobs/progress.ts';

/** Text renderings shared by every chat surface (Slack and Discord add their own blocks on top). */

const BAR_WIDTH = 20;

export function progressBar(pct: number, width = BAR_WIDTH): string {
  const clamped = Math.max(0, Math.min(100, pct));
  const filled = Math.round((clamped / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

export function formatPrice(perHour: number): string {
  return `$${perHour.toFixed(perHour < 1 ? 3 : 2)}/hr`;
}

export function renderProgress(view: ProgressView, now = Date.now()): string {
  const elapsed = formatElapsed(view.elapsedMs ?? now - view.startedAt);
  const subject = view.instance ? `${view.kind} ${view.instance}` : view.kind;
  if (view.state === 'succeeded') {
    return `✅ ${subject} done in ${elapsed} · ${view.result?.summary ?? view.step}`;
  }
  if (view.state === 'failed' && view.error?.code === 'cancelled') {
    return `🚫 ${subject} cancelled after ${elapsed}: ${view.error.message}`;
  }
  if (view.state === 'failed') {
    const code = view.error?.code ? ` [${view.error.code}]` : '';
    return `❌ ${subject} failed after ${elapsed}${code}: ${view.error?.message ?? view.step}`;
  }
  const step = `${view.step} (${Math.min(view.stepIndex + 1, view.stepCount)}/${view.stepCount})`;
  const detail = view.detail ? ` · ${view.detail}` : '';
  const icon = view.state === 'queued' ? '🕓' : '⏳';
  return `${icon} ${subject} · ${step} ${progressBar(view.pct)} ${view.pct}% · ${elapsed}${detail}`;
}

/** A fixed-width text table; chat surfaces wrap it in a code block. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
