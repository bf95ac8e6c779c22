import type { ToolName } from '../../tools/schemas.ts';
import { checkedCalls } from './checked-calls.ts';
import { missingInstance } from './questions.ts';
import type { Extraction, Plan } from './types.ts';

/** One call per instance named ("pause i-3 and i-4"), or which instance, when none is. */
export function callPerInstance(tool: ToolName, verb: string, ex: Extraction): Plan {
  if (ex.instances.length === 0) return { kind: 'clarify', message: missingInstance(verb) };
  return checkedCalls(ex.instances.map((instance) => ({ tool, args: { instance } })));
}
