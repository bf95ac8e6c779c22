import { z } from 'zod';
import { ARGUMENT_ALIASES, type ToolName } from '../tools/schemas.ts';
import type { Tool } from '../tools/tool.ts';
import { editDistance } from '../util/edit-distance.ts';

/**
 * What a model's tool call may run with: exactly what the tool's schema accepted. Models name
 * arguments their own way ("num_gpus"), write numbers as strings ("2") and send broken JSON; each
 * is either read exactly (an unambiguous alias, a numeric string) or sent back to the model as an
 * error it can correct. Nothing is dropped or guessed.
 */

export type CheckedArguments =
  | {
      ok: true;
      /** The arguments as they will run: parsed by the schema, defaults included. */
      args: Record<string, unknown>;
      /** How the call was read, for the model and the transcript ("num_gpus was read as count"). */
      notes: string[];
    }
  | { ok: false; error: string };

/** What the model is told about a call of a tool that does not exist. */
export function unknownToolError(name: string, known: readonly string[]): string {
  return `There is no tool called "${name}"; nothing was run. The tools are: ${known.join(', ')}.`;
}

/** What the model is told about a call whose arguments are not JSON at all. */
export function malformedCallError(name: string, malformed: { raw: string; error: string }): string {
  return `Your call to ${name} was not run: its arguments are not a JSON object (${malformed.error}). You sent: ${malformed.raw.slice(0, 300)}. Send the call again with the arguments as one JSON object.`;
}

export function checkToolArguments(tool: Tool, raw: unknown): CheckedArguments {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: `${tool.name} takes a JSON object of arguments (${describeKeys(tool)}).` };
  }
  const shape = tool.schema.shape as Record<string, z.ZodType>;
  const known = Object.keys(shape);
  const aliases: Readonly<Record<string, string>> = ARGUMENT_ALIASES[tool.name as ToolName] ?? {};
  const input: Record<string, unknown> = {};
  const notes: string[] = [];
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (known.includes(key)) {
      input[key] = value;
      continue;
    }
    const canonical = aliases[key];
    if (canonical && !(canonical in raw)) {
      input[canonical] = value;
      notes.push(`${key} was read as ${canonical}`);
      continue;
    }
    unknown.push(key);
  }
  if (unknown.length > 0) {
    const hints = unknown.map((key) => {
      const near = closest(key, known);
      return near ? `"${key}" (did you mean "${near}"?)` : `"${key}"`;
    });
    return {
      ok: false,
      error: `${tool.name} has no argument ${hints.join(', ')}; nothing was run. Its arguments are: ${describeKeys(tool)}. Call it again with those names.`,
    };
  }
  for (const [key, value] of Object.entries(input)) {
    const coerced = coerce(shape[key], value);
    if (coerced !== value) {
      input[key] = coerced;
      notes.push(`${key} "${String(value)}" was read as ${String(coerced)}`);
    }
  }
  const parsed = tool.schema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      error: `${tool.name} was not run: ${describeIssues(parsed.error)}. Call it again with corrected arguments.`,
    };
  }
  return { ok: true, args: parsed.data as Record<string, unknown>, notes };
}

/** "gpu (required: GPU model ...), count (Number of GPUs ...)": a tool's arguments for an error message. */
function describeKeys(tool: Tool): string {
  const shape = tool.schema.shape as Record<string, z.ZodType>;
  return Object.entries(shape)
    .map(([key, type]) => {
      const optional = type.safeParse(undefined).success;
      return `${key}${optional ? '' : ' (required)'}`;
    })
    .join(', ');
}

function closest(key: string, candidates: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  // "max_price" for "max_price_per_gpu_hour": a shortened name is a likelier meaning than a near spelling.
  const extended = candidates.find((name) => name.startsWith(lower) || lower.startsWith(name));
  if (extended) return extended;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(lower, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** The schema's own base type under its optional, default and nullable wrappers. */
function baseType(type: z.ZodType | undefined): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = type;
  for (let depth = 0; current && depth < 8; depth++) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap();
    } else {
      return current;
    }
  }
  return current;
}

const EXACT_NUMBER = /^\s*-?(?:\d+(?:\.\d+)?|\.\d+)\s*$/;

/** A string that is exactly a number, for a number field; "true"/"false" for a boolean one. Else the value as is. */
function coerce(type: z.ZodType | undefined, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const base = baseType(type);
  if (base instanceof z.ZodNumber && EXACT_NUMBER.test(value)) return Number(value);
  if (base instanceof z.ZodBoolean && /^(true|false)$/i.test(value.trim()))
    return value.trim().toLowerCase() === 'true';
  return value;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('; ');
}
