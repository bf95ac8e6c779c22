import { resolveGpu } from '../cloud/gpu-catalog.ts';
import { NUMBER_WORD } from '../util/number-words.ts';
import { cleanRequest } from './planner/clean-request.ts';
import { extractGpus } from './planner/extract-gpu.ts';
import { extractInstances } from './planner/extract-instances.ts';
import { readNumber } from './planner/numerals.ts';
import { emptyExtraction } from './planner/types.ts';
import { UnreadText } from './planner/unread-text.ts';

/**
 * Where an action came from. A model may propose anything, tool output may carry text written to
 * steer it, so what costs money or cannot be undone runs without an explicit yes only when the
 * user's own words named its target.
 */

/** Tools whose target must be named by the user before a standing "yes" (`--yes`) covers them. */
const INSTANCE_TARGETED = new Set(['destroy', 'resume', 'restore']);
const DEPLOY_WORDS = /\b(?:deploy|rent|launch|provision|spin\s+up|book|take|go\s+(?:ahead\s+)?with|start)\b/i;

/** Whether the user's request names what this call acts on. */
export function namedByUser(tool: string, args: Record<string, unknown>, text: string): boolean {
  if (INSTANCE_TARGETED.has(tool)) {
    const ex = emptyExtraction();
    extractInstances(new UnreadText(cleanRequest(text)), ex);
    return typeof args.instance === 'string' && ex.instances.includes(args.instance);
  }
  if (tool === 'deploy') {
    const wanted = typeof args.gpu === 'string' ? resolveGpu(args.gpu) : undefined;
    const ex = emptyExtraction();
    extractGpus(new UnreadText(cleanRequest(text)), ex);
    return wanted !== undefined && ex.gpus.some((g) => g.id === wanted.id);
  }
  if (tool === 'deploy_recommendation') return DEPLOY_WORDS.test(text);
  return true;
}

const MACHINES = new RegExp(
  String.raw`\b(\d{1,2}|${NUMBER_WORD})\s+(?:separate|different|individual|identical|independent)?\s*(?:[\w.-]+\s+){0,3}?(?:machines|instances|boxes|servers|nodes|vms|rentals|deployments)\b`,
  'i',
);

/**
 * How many machines the request asks for: "two separate 4090 machines" is 2, "2x 4090" is one
 * machine with two GPUs, so 1.
 */
export function machinesAskedFor(text: string): number {
  const match = MACHINES.exec(text);
  if (!match) return 1;
  const n = readNumber(match[1]!.toLowerCase());
  return n !== undefined && Number.isInteger(n) && n >= 1 ? Math.min(n, 10) : 1;
}

/** The identity of a call: the same tool with the same arguments, whatever their order. */
export function callKey(tool: string, args: Record<string, unknown>): string {
  return `${tool}:${JSON.stringify(args, Object.keys(args).sort())}`;
}

/** A call as a person reads it in a confirmation. */
export function describeCall(tool: string, args: Record<string, unknown>): string {
  const shown = Object.entries(args)
    .map(([key, value]) => `${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return shown ? `${tool} (${shown})` : tool;
}

/**
 * Tool output as the model reads it: marked as data, so text inside it (an instance label, an
 * owner name, an offer field) is never taken for an instruction. The system prompt says so.
 */
export function fenced(tool: string, body: string): string {
  return `<tool_output tool="${tool}">\n${body.replaceAll('</tool_output>', '<\\/tool_output>')}\n</tool_output>`;
}
