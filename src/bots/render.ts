import { formatElapsed, formatUsd, progressBar } from '../format/text.ts';
import type { ProgressView } from '../jobs/queue/progress.ts';

/**
 * How a progress view's job output is shown. Chat ('fenced', the default): in a ``` block, within
 * what every chat platform takes in one message. The terminal ('plain'): indented lines.
 */
export interface ProgressRenderOptions {
  output?: 'fenced' | 'plain';
  /** Most characters the whole text may take, counted as `measure` counts them. */
  maxChars?: number;
  measure?: (text: string) => number;
}

/**
 * The most a chat progress message takes, counted as the strictest platform counts it: Discord
 * takes 2000 characters of content, and Slack 3000 per section after it writes `&`, `<` and `>` as
 * entities (chatLength counts those). The progress message is one message edited in place, and
 * the platforms' formatters cut what does not fit from its end, where a job's newest lines are:
 * what is rendered here must already fit, with room for the formatters' own marks.
 */
export const CHAT_PROGRESS_MAX_CHARS = 1_900;
/** A terminal rewrites its progress lines in place: a screenful, not a log. */
export const TERMINAL_PROGRESS_MAX_CHARS = 4_000;
/** One output line beyond this is cut: more lines of a log tell more than one line's tail. */
export const OUTPUT_LINE_MAX_CHARS = 300;

/** Characters as Slack counts them once it has escaped `&` (as `&amp;`), `<` and `>` (`&lt;`, `&gt;`). */
export function chatLength(text: string): number {
  let extra = 0;
  for (const c of text) {
    if (c === '&') extra += 4;
    else if (c === '<' || c === '>') extra += 3;
  }
  return text.length + extra;
}

/**
 * A progress view as chat text: one line (Slack and Discord add their own blocks on top), and for
 * a job with output, its last lines under it.
 */
export function renderProgress(
  view: ProgressView,
  now = Date.now(),
  options: ProgressRenderOptions = {},
): string {
  const head = renderProgressLine(view, now);
  const style = options.output ?? 'fenced';
  const measure = options.measure ?? (style === 'fenced' ? chatLength : (text: string) => text.length);
  const maxChars =
    options.maxChars ?? (style === 'fenced' ? CHAT_PROGRESS_MAX_CHARS : TERMINAL_PROGRESS_MAX_CHARS);
  const output = renderOutput(view.output ?? [], style, maxChars - measure(head) - 1, measure);
  return output ? `${head}\n${output}` : head;
}

function renderProgressLine(view: ProgressView, now: number): string {
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
  const cost = view.costSoFar === undefined ? '' : ` · ${costSoFar(view.costSoFar)} so far`;
  const detail = view.detail ? ` · ${view.detail}` : '';
  const icon = view.state === 'queued' ? '🕓' : '⏳';
  return `${icon} ${subject} · ${step} ${progressBar(view.pct)} ${view.pct}% · ${elapsed}${cost}${detail}`;
}

/** Cents while there are any ("$0.42"); a tenth of a cent before ("$0.004"). */
function costSoFar(usd: number): string {
  return usd >= 0.01 ? `$${usd.toFixed(2)}` : formatUsd(Math.max(0, usd));
}

/**
 * The newest output lines that fit in `room`, oldest first, with a note when older ones were left
 * out. Nothing when not even the newest line fits.
 */
function renderOutput(
  lines: readonly string[],
  style: 'fenced' | 'plain',
  room: number,
  measure: (text: string) => number,
): string {
  const shown = lines.map((line) => (style === 'fenced' ? chatSafeLine(line) : plainLine(line)));
  // Blank lines at the end say nothing and would cost the newest line its place.
  while (shown.length > 0 && shown.at(-1)!.trim() === '') shown.pop();
  if (shown.length === 0) return '';
  const [open, close] = style === 'fenced' ? ['```\n', '\n```'] : ['', ''];
  const skippedNote = (n: number) =>
    `${style === 'fenced' ? '' : '  '}… ${n} earlier line${n === 1 ? '' : 's'}`;
  let used = measure(open) + measure(close);
  let first = shown.length;
  while (first > 0) {
    const line = shown[first - 1]!;
    // Room is kept for the note saying how many were left out, unless this is the last that could be.
    const note = first - 1 > 0 ? measure(skippedNote(first - 1)) + 1 : 0;
    if (used + measure(line) + 1 + note > room) break;
    used += measure(line) + 1;
    first--;
  }
  if (first === shown.length) return '';
  const kept = shown.slice(first);
  const body = [...(first > 0 ? [skippedNote(first)] : []), ...kept].join('\n');
  return `${open}${body}${close}`;
}

/**
 * An output line as it may stand in a chat code block: a job prints whatever it likes, and it
 * must neither end the block (any backtick is shown as ˋ) nor reach anyone: `@everyone`, `@here`
 * and Discord's `<@…>`, `<#…>` and Slack's `<!…>` entities get a zero-width space after their
 * first character, so they show as written and mean nothing. (Slack's formatter also escapes
 * `<`; Discord's also allows no mentions: this holds whichever renders it.)
 */
export function chatSafeLine(line: string): string {
  return cutLine(lastRewrite(line))
    .replace(/`/g, 'ˋ')
    .replace(/@(everyone|here|channel)\b/gi, '@\u200b$1')
    .replace(/<([@#!])/g, '<\u200b$1');
}

/** In a terminal the line is shown as is (the surface removes what a terminal would act on), indented. */
function plainLine(line: string): string {
  return `  ${cutLine(lastRewrite(line))}`;
}

/** What a terminal would show of a line rewritten with carriage returns (a progress bar): the last. */
function lastRewrite(line: string): string {
  const parts = line.split('\r').filter((part) => part !== '');
  return parts.at(-1) ?? '';
}

function cutLine(line: string): string {
  const chars = Array.from(line);
  return chars.length <= OUTPUT_LINE_MAX_CHARS
    ? line
    : `${chars.slice(0, OUTPUT_LINE_MAX_CHARS - 1).join('')}…`;
}
