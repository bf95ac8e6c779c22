import { ErrorCode, GpuopsError, isGpuopsError } from '../../errors.ts';
import { TOOLS } from '../../tools/registry.ts';
import type { PlannedCall } from '../../tools/schemas.ts';
import type { AgentModel, TurnContext } from '../agent-model.ts';
import { type ReadCall, type RefusedCall, readCall, scoreCalls } from './compare-calls.ts';
import { firstTurn } from './first-turn.ts';
import type { Phrasing } from './phrasings.ts';

/**
 * `gpuops eval`: every phrasing through the model's first turn (nothing runs), scored against the
 * calls it should become, so a team can choose a model with numbers. Field names are those of the
 * `--json` output.
 */

export interface EvalOptions {
  /** Phrasings in flight at once. Default 4. */
  concurrency?: number;
  /** Who the model is told it talks with. */
  context?: Omit<TurnContext, 'now'>;
}

/** A phrasing whose calls did not come back as expected, or whose model call failed. */
export interface EvalFailure {
  text: string;
  expected: PlannedCall[];
  /** The calls as the agent would have read them; refused ones with the agent's reason. */
  got: Array<{ tool: string; args: Record<string, unknown>; error?: string }>;
  /** What the model said instead, when it called no tool. */
  reply?: string;
  /** The model call itself failed. */
  error?: string;
  round_trips: number;
}

export interface ToolScore {
  /** The expected tool; "(none)" for phrasings that expect no call. */
  tool: string;
  cases: number;
  right_tool: number;
  right_tool_pct: number;
  right_args: number;
  right_args_pct: number;
}

export interface EvalReport {
  model: string;
  phrasings: number;
  right_tool: number;
  right_tool_pct: number;
  right_args: number;
  right_args_pct: number;
  /** A phrasing that expects calls of two tools counts under each. */
  per_tool: ToolScore[];
  round_trips: {
    mean: number;
    max: number;
    /** Phrasings whose calls were all accepted only after the model corrected one. */
    corrected: number;
  };
  /** Per request, summed over its round trips; zero when the model reports no usage. */
  tokens: {
    reported: boolean;
    input_mean: number;
    output_mean: number;
    input_total: number;
    output_total: number;
  };
  latency_ms: { mean: number; median: number; p95: number; max: number };
  /** Phrasings whose model call failed (also in failures). */
  errors: number;
  failures: EvalFailure[];
}

/** Model errors in a row, with no answer yet, after which the run stops: the model is not there. */
const GIVE_UP_AFTER = 3;

export async function runEval(
  model: AgentModel,
  phrasings: readonly Phrasing[],
  options: EvalOptions = {},
): Promise<EvalReport> {
  for (const phrasing of phrasings) {
    const invalid = phrasing.calls.map((c) => readCall(c.tool, c.args)).find((c) => 'error' in c);
    // The built-in set is held to its schemas by tests; a user's file is checked when it is read.
    if (invalid && 'error' in invalid) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `The expected calls of "${phrasing.text}" are not valid: ${invalid.error}`,
      );
    }
  }
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const context = options.context ?? { user: 'gpuops-eval', channel: 'eval' };
  const outcomes: Outcome[] = new Array(phrasings.length);
  let next = 0;
  let answered = 0;
  let failedCalls = 0;
  const worker = async () => {
    while (next < phrasings.length) {
      const at = next++;
      const outcome = await evaluate(model, phrasings[at]!, { ...context, now: new Date() });
      outcomes[at] = outcome;
      if (outcome.error === undefined) answered++;
      else if (++failedCalls >= GIVE_UP_AFTER && answered === 0) {
        next = phrasings.length;
        throw outcome.cause;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, phrasings.length) }, worker));
  return summarise(model.name, outcomes);
}

interface Outcome {
  phrasing: Phrasing;
  expectedTools: string[];
  rightTool: boolean;
  rightArgs: boolean;
  calls: ReadCall[];
  refused: RefusedCall[];
  reply: string;
  roundTrips: number;
  corrected: boolean;
  inputTokens: number;
  outputTokens: number;
  usageReported: boolean;
  latencyMs: number;
  error?: string;
  cause?: unknown;
}

async function evaluate(model: AgentModel, phrasing: Phrasing, context: TurnContext): Promise<Outcome> {
  // Checked in runEval: every expected call reads.
  const expected = phrasing.calls.map((c) => readCall(c.tool, c.args)) as ReadCall[];
  const expectedTools = [...new Set(phrasing.calls.map((c) => c.tool))];
  const base = { phrasing, expectedTools: expectedTools.length > 0 ? expectedTools : ['(none)'] };
  let turn: Awaited<ReturnType<typeof firstTurn>>;
  try {
    turn = await firstTurn(model, phrasing.text, context);
  } catch (err) {
    return {
      ...base,
      rightTool: false,
      rightArgs: false,
      calls: [],
      refused: [],
      reply: '',
      roundTrips: 1,
      corrected: false,
      inputTokens: 0,
      outputTokens: 0,
      usageReported: false,
      latencyMs: 0,
      error: isGpuopsError(err) ? err.message : String(err),
      cause: err,
    };
  }
  const score = scoreCalls(expected, turn.calls, turn.refused);
  return {
    ...base,
    ...score,
    calls: turn.calls,
    refused: turn.refused,
    reply: turn.reply,
    roundTrips: turn.roundTrips,
    corrected: turn.roundTrips > 1 && turn.refused.length === 0 && turn.calls.length > 0,
    inputTokens: turn.usage?.inputTokens ?? 0,
    outputTokens: turn.usage?.outputTokens ?? 0,
    usageReported: turn.usage !== undefined,
    latencyMs: turn.latencyMs,
  };
}

function summarise(model: string, outcomes: readonly Outcome[]): EvalReport {
  const n = outcomes.length;
  const perTool = new Map<string, { cases: number; rightTool: number; rightArgs: number }>();
  for (const o of outcomes) {
    for (const tool of o.expectedTools) {
      const row = perTool.get(tool) ?? { cases: 0, rightTool: 0, rightArgs: 0 };
      row.cases++;
      if (o.rightTool) row.rightTool++;
      if (o.rightArgs) row.rightArgs++;
      perTool.set(tool, row);
    }
  }
  const order = [...TOOLS.map((t) => t.name as string), '(none)'];
  const rightTool = outcomes.filter((o) => o.rightTool).length;
  const rightArgs = outcomes.filter((o) => o.rightArgs).length;
  const roundTrips = outcomes.map((o) => o.roundTrips);
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const inputTotal = sum(outcomes.map((o) => o.inputTokens));
  const outputTotal = sum(outcomes.map((o) => o.outputTokens));
  return {
    model,
    phrasings: n,
    right_tool: rightTool,
    right_tool_pct: pct(rightTool, n),
    right_args: rightArgs,
    right_args_pct: pct(rightArgs, n),
    per_tool: [...perTool.entries()]
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([tool, row]) => ({
        tool,
        cases: row.cases,
        right_tool: row.rightTool,
        right_tool_pct: pct(row.rightTool, row.cases),
        right_args: row.rightArgs,
        right_args_pct: pct(row.rightArgs, row.cases),
      })),
    round_trips: {
      mean: round(sum(roundTrips) / Math.max(1, n), 2),
      max: Math.max(0, ...roundTrips),
      corrected: outcomes.filter((o) => o.corrected).length,
    },
    tokens: {
      reported: outcomes.some((o) => o.usageReported),
      input_mean: round(inputTotal / Math.max(1, n), 1),
      output_mean: round(outputTotal / Math.max(1, n), 1),
      input_total: inputTotal,
      output_total: outputTotal,
    },
    latency_ms: {
      mean: round(sum(latencies) / Math.max(1, n), 3),
      median: round(quantile(latencies, 0.5), 3),
      p95: round(quantile(latencies, 0.95), 3),
      max: round(latencies.at(-1) ?? 0, 3),
    },
    errors: outcomes.filter((o) => o.error !== undefined).length,
    failures: outcomes.filter((o) => !o.rightArgs).map(failure),
  };
}

function failure(o: Outcome): EvalFailure {
  return {
    text: o.phrasing.text,
    expected: o.phrasing.calls,
    got: [...o.calls, ...o.refused],
    ...(o.calls.length === 0 && o.refused.length === 0 && o.reply && { reply: o.reply }),
    ...(o.error !== undefined && { error: o.error }),
    round_trips: o.roundTrips,
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : round((part / whole) * 100, 1);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The nearest-rank quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
