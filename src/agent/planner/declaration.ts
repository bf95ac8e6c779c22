import type { PlannedCall, ToolName } from '../../tools/schemas.ts';

/** One request and the calls that answer it, in the agent's own argument names. */
export interface Phrasing {
  text: string;
  calls: PlannedCall[];
}

/**
 * How people ask for one tool, declared once beside the others (DESIGN.md principle 3) and read by
 * the offline planner, `gpuops eval`, help and the per-request tool selection. Adding a tool is
 * adding its declaration to declarations/index.ts, whose table is keyed by every tool name.
 */
export interface ToolDeclaration {
  readonly tool: ToolName;
  /** What the tool lets people do, as "what gpuops can do" says it; tools sharing a phrase are named once. */
  readonly can: string;
  /** What a request for this tool often needs next: offered to the model along with it. */
  readonly neighbours: readonly ToolName[];
  /**
   * Requests that must become exactly these calls: the offline planner's table and the default set
   * of `gpuops eval`. A compound request sits with the tool of its first call.
   */
  readonly examples: readonly Phrasing[];
}
