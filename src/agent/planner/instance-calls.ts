import type { ToolName } from '../../tools/schemas.ts';
import { checkedCalls } from './checked-calls.ts';
import type { SlotCue } from './declaration.ts';
import { missingInstance, missingSnapshot } from './questions.ts';
import type { Extraction, Plan } from './types.ts';

/**
 * The slots of an action on instances (pause, destroy, failover, ...): an instance id points at it,
 * a snapshot or job id says the request is about that instead ("bring back snap-2 onto i-7").
 */
export const INSTANCE_ACTION_SLOTS: readonly SlotCue[] = [
  { slots: ['instance'], points: 3 },
  { slots: ['snapshot'], points: -6 },
  // "stop j-4", "kill job 4": a job id says the request is about the job, not a machine.
  { slots: ['job'], points: -6 },
];

/** One call per instance named ("pause i-3 and i-4"), or which instance, when none is. */
export function callPerInstance(tool: ToolName, verb: string, ex: Extraction): Plan {
  if (ex.instances.length === 0) return { kind: 'clarify', message: missingInstance(verb) };
  return checkedCalls(ex.instances.map((instance) => ({ tool, args: { instance } })));
}

/** One call per snapshot named ("delete snap-3 and snap-4"), or which snapshot, when none is. */
export function callPerSnapshot(tool: ToolName, verb: string, ex: Extraction): Plan {
  if (ex.snapshots.length === 0) return { kind: 'clarify', message: missingSnapshot(verb) };
  return checkedCalls(ex.snapshots.map((snapshot) => ({ tool, args: { snapshot } })));
}
