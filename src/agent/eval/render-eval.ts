import { renderTable } from '../../format/text.ts';
import type { EvalFailure, EvalReport } from './run-eval.ts';

/** Failures shown in the text report; `--json` has them all. */
export const FAILURES_SHOWN = 20;

/** The report of `gpuops eval` for people; `sets` says which phrasings ran. */
export function renderEvalReport(report: EvalReport, sets: string): string {
  const lines = [
    `gpuops eval · ${report.model} · ${report.phrasings} phrasings (${sets})`,
    `right tool: ${report.right_tool}/${report.phrasings} (${report.right_tool_pct}%) · right tool and arguments: ${report.right_args}/${report.phrasings} (${report.right_args_pct}%)`,
    '',
    renderTable(
      ['tool', 'cases', 'right tool', 'right args'],
      report.per_tool.map((row) => [
        row.tool,
        String(row.cases),
        `${row.right_tool} (${row.right_tool_pct}%)`,
        `${row.right_args} (${row.right_args_pct}%)`,
      ]),
    ),
    '',
    `round trips per request: mean ${report.round_trips.mean}, max ${report.round_trips.max}${report.round_trips.corrected > 0 ? ` (${report.round_trips.corrected} corrected after a refused call)` : ''}`,
    report.tokens.reported
      ? `tokens per request: input ${report.tokens.input_mean}, output ${report.tokens.output_mean} (total ${report.tokens.input_total} in, ${report.tokens.output_total} out)`
      : 'tokens per request: 0 (the model reports no usage)',
    `latency per request: mean ${ms(report.latency_ms.mean)}, median ${ms(report.latency_ms.median)}, p95 ${ms(report.latency_ms.p95)}, max ${ms(report.latency_ms.max)}`,
  ];
  if (report.errors > 0) lines.push(`model errors: ${report.errors} (counted as failures)`);
  if (report.failures.length === 0) {
    lines.push('failures: none');
  } else {
    const shown = report.failures.slice(0, FAILURES_SHOWN);
    lines.push(
      '',
      `failures: ${report.failures.length}${report.failures.length > shown.length ? ` (first ${shown.length}; --json has all)` : ''}`,
    );
    for (const failure of shown) lines.push(...renderFailure(failure));
  }
  return lines.join('\n');
}

function renderFailure(failure: EvalFailure): string[] {
  const expected =
    failure.expected.map((c) => `${c.tool} ${JSON.stringify(c.args)}`).join('; ') || '(no call)';
  const got =
    failure.error ??
    (failure.got
      .map((c) => `${c.tool} ${JSON.stringify(c.args)}${c.error ? ` — refused: ${firstLine(c.error)}` : ''}`)
      .join('; ') ||
      (failure.reply ? `(no call) ${JSON.stringify(firstLine(failure.reply))}` : '(no call)'));
  return [
    `  ${JSON.stringify(failure.text)}`,
    `    expected: ${expected}`,
    `    got:      ${got}${failure.round_trips > 1 ? ` (${failure.round_trips} round trips)` : ''}`,
  ];
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`;
}
