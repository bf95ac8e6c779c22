import { type PlannedCall, TOOL_SCHEMAS } from '../../tools/schemas.ts';
import type { Plan } from './types.ts';

/**
 * Checks every call against its tool's schema before handing it on. The extractors already keep
 * values in range, so a failure here is a planner bug; it is reported as a question, not thrown.
 */
export function checkedCalls(planned: PlannedCall[]): Plan {
  for (const call of planned) {
    const result = TOOL_SCHEMAS[call.tool].safeParse(call.args);
    if (!result.success) {
      const issue = result.error.issues[0];
      return {
        kind: 'clarify',
        message: `I couldn't build a valid ${call.tool} request (${issue?.path.join('.') || 'arguments'}: ${issue?.message ?? 'invalid'}). Could you rephrase it?`,
      };
    }
  }
  return { kind: 'calls', calls: planned };
}

export function checked(call: PlannedCall): Plan {
  return checkedCalls([call]);
}

/** The arguments that were given: a tool's schema refuses an `undefined` it does not declare. */
export function compact(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) if (value !== undefined) out[key] = value;
  return out;
}
