import { formatElapsed, progressBar } from '../format/text.ts';
import type { ProgressView } from '../jobs/queue/progress.ts';

/** A progress view as one line of chat text (Slack and Discord add their own blocks on top). */
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
