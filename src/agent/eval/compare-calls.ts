import { resolveModel } from '../../advisor/models/index.ts';
import { resolveGpu } from '../../cloud/gpu-catalog.ts';
import { gpuArg } from '../../tools/args.ts';
import { getTool } from '../../tools/registry.ts';
import { checkToolArguments } from '../tool-arguments.ts';

/**
 * Whether the calls a model made are the calls a phrasing expects, read the way the agent reads
 * them: aliases and numeric strings through the agent's argument check, the schema's defaults
 * applied ("count": 1), and GPU and model names read as catalog ids, since the planner writes
 * "rtx-4090" and a language model "RTX 4090".
 */

/** A call as the agent would run it: a known tool and arguments its schema accepted. */
export interface ReadCall {
  tool: string;
  args: Record<string, unknown>;
}

/** A call the agent would not run, with the reason it would send back to the model. */
export interface RefusedCall {
  tool: string;
  args: Record<string, unknown>;
  error: string;
}

export interface CallScore {
  /** The same tools were called, as many times each, in any order. */
  rightTool: boolean;
  /** And each with the expected arguments (no call refused). */
  rightArgs: boolean;
}

/** Numbers this close (relative) are the same reading: "$10/day" is 0.416667 or 0.4167 per hour. */
const NUMBER_TOLERANCE = 1e-3;

/** The call as the agent reads it, or why it would refuse it. */
export function readCall(tool: string, args: Record<string, unknown>): ReadCall | RefusedCall {
  const found = getTool(tool);
  if (!found) return { tool, args, error: `there is no tool called "${tool}"` };
  const checked = checkToolArguments(found, args);
  return checked.ok ? { tool, args: checked.args } : { tool, args, error: checked.error };
}

export function scoreCalls(
  expected: readonly ReadCall[],
  got: readonly ReadCall[],
  refused: readonly RefusedCall[],
): CallScore {
  const expectedTools = expected.map((c) => c.tool).sort();
  const gotTools = [...got, ...refused].map((c) => c.tool).sort();
  const rightTool =
    expectedTools.length === gotTools.length && expectedTools.every((tool, i) => tool === gotTools[i]);
  if (!rightTool || refused.length > 0) return { rightTool, rightArgs: false };
  const unmatched = got.map((call) => ({ tool: call.tool, args: canonical(call) }));
  for (const call of expected) {
    const args = canonical(call);
    const at = unmatched.findIndex((c) => c.tool === call.tool && sameValue(c.args, args));
    if (at < 0) return { rightTool, rightArgs: false };
    unmatched.splice(at, 1);
  }
  return { rightTool, rightArgs: true };
}

/** The call's arguments with GPU names as catalog ids and a model name as the advisor's id. */
function canonical(call: ReadCall): Record<string, unknown> {
  const tool = getTool(call.tool);
  if (!tool) return call.args;
  const shape = tool.schema.shape as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(call.args)) {
    if (value === undefined) continue;
    const kind = argumentKind(shape[key]);
    if (kind === 'gpu' && typeof value === 'string') out[key] = gpuId(value);
    else if (kind === 'gpus' && Array.isArray(value)) out[key] = value.map((v) => gpuId(String(v)));
    else if (call.tool === 'recommend_gpu' && key === 'model' && typeof value === 'string')
      out[key] = resolveModel(value)?.id ?? value;
    else out[key] = value;
  }
  return out;
}

function gpuId(name: string): string {
  return resolveGpu(name)?.id ?? name;
}

/** Whether a schema field is a GPU name (built from gpuArg), a list of them, or anything else. */
function argumentKind(type: unknown): 'gpu' | 'gpus' | 'other' {
  let current = type as { def?: { type?: string; innerType?: unknown; element?: unknown } } | undefined;
  for (let depth = 0; current?.def && depth < 8; depth++) {
    if (current === (gpuArg as unknown)) return 'gpu';
    const { def } = current;
    if (def.type === 'array') return def.element === (gpuArg as unknown) ? 'gpus' : 'other';
    current = def.innerType as typeof current;
  }
  return current === (gpuArg as unknown) ? 'gpu' : 'other';
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= NUMBER_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
    const ak = keys(a);
    return ak.length === keys(b).length && ak.every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
