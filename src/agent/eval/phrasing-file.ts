import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { TOOL_SCHEMAS, type ToolName } from '../../tools/schemas.ts';
import { MAX_MESSAGE_LENGTH } from '../plan.ts';
import type { Phrasing } from './phrasings.ts';

/**
 * A team's own phrasings for `gpuops eval --file`: JSON Lines, one
 * `{"text": "...", "calls": [{"tool": "...", "args": {...}}]}` per line, with the arguments in the
 * tools' own names and types (GPUs may be spelled any way the catalog reads). `"calls": []`
 * expects no call at all (a question back, or "I don't understand"). Blank lines are skipped; any
 * other line that does not read refuses the whole file, naming the line.
 */

const TOOL_NAMES = Object.keys(TOOL_SCHEMAS) as [ToolName, ...ToolName[]];

const lineSchema = z.strictObject({
  text: z.string().trim().min(1).max(MAX_MESSAGE_LENGTH),
  calls: z.array(
    z.strictObject({
      tool: z.enum(TOOL_NAMES),
      args: z.record(z.string(), z.unknown()).default({}),
    }),
  ),
});

/** Bad lines named in one refusal; the rest are counted. */
const MAX_REPORTED = 10;

export async function readPhrasingFile(path: string): Promise<Phrasing[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `Cannot read the phrasing file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`,
      { cause: err },
    );
  }
  return parsePhrasings(content, path);
}

/** The phrasings of a JSON Lines text; `source` names it in errors. */
export function parsePhrasings(content: string, source: string): Phrasing[] {
  const phrasings: Phrasing[] = [];
  const problems: string[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const problem = readLine(line, phrasings);
    if (problem) problems.push(`line ${i + 1}: ${problem}`);
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_REPORTED ? `\n  … and ${problems.length - MAX_REPORTED} more` : '';
    throw new GpuopsError(
      ErrorCode.BadInput,
      `${source} has ${problems.length === 1 ? 'a line' : `${problems.length} lines`} that cannot be read; nothing was run. Each line is one JSON object like {"text": "pause i-3", "calls": [{"tool": "pause", "args": {"instance": "i-3"}}]}.\n  ${problems.slice(0, MAX_REPORTED).join('\n  ')}${more}`,
    );
  }
  if (phrasings.length === 0) {
    throw new GpuopsError(ErrorCode.BadInput, `${source} has no phrasings; nothing was run.`);
  }
  return phrasings;
}

/** Adds the line's phrasing, or returns why it cannot be read. */
function readLine(line: string, into: Phrasing[]): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return `not JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) {
    return describeIssues(parsed.error);
  }
  for (const [i, call] of parsed.data.calls.entries()) {
    const args = TOOL_SCHEMAS[call.tool].strict().safeParse(call.args);
    if (!args.success) return describeIssues(args.error, `calls.${i}.args`);
  }
  into.push({ text: parsed.data.text, calls: parsed.data.calls });
  return undefined;
}

function describeIssues(error: z.ZodError, under?: string): string {
  return error.issues
    .map((issue) => {
      const where = [...(under ? [under] : []), ...issue.path.map(String)].join('.');
      return `${where ? `${where}: ` : ''}${issue.message}`;
    })
    .join('; ');
}
