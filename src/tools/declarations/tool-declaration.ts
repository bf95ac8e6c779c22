import type { PlannedCall, ToolName } from '../schemas.ts';

/** One request and the calls that answer it, in the agent's own argument names. */
export interface Phrasing {
  text: string;
  calls: PlannedCall[];
}

/**
 * What one tool declares beside its schema (DESIGN.md principle 3): what it lets people do and how
 * they ask for it, read by the offline planner, `gpuops eval`, help and the per-request tool
 * selection. Adding a tool is adding its declaration to index.ts, whose table is keyed by every
 * tool name. How the offline planner scores a request for it lives with the planner
 * (src/agent/planner/declarations), joined to this by tool name.
 *
 * The permission a tool needs and what it costs (issue #20) belong here too, as fields of their
 * own next to these; they are not declared yet.
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
  /**
   * Verbs that start a request for this tool inside a longer message, where the message splits into
   * requests ("stop i-3 and destroy i-4"); a regex source of whole words.
   */
  readonly clauseWords?: string;
  /** Words that say a request is for this tool even when it could not be read; see `Unread`. */
  readonly unread?: Unread;
  /** Words that put a request on this tool's topic, for the tools offered to a model; see `Topic`. */
  readonly topic?: Topic;
}

/**
 * A request with these words (matched on the lower-case text) that no tool of this kind could read
 * is answered with `answer`, how to ask for the tool, rather than a guess at another tool.
 */
export interface Unread {
  readonly words: RegExp;
  readonly answer: string;
}

/**
 * A request the planner cannot place is still offered the tools whose topic it talks about, with
 * their neighbours ("how long do we keep snapshots around?" gets the snapshot tools).
 */
export interface Topic {
  readonly words: RegExp;
  /** Offered even when the planner placed the request: its words are easily read as another tool's ("is a standby worth it for i-3?"). */
  readonly evenWhenPlaced?: boolean;
}
