import type { ToolDeclaration } from '../../tools/declarations/tool-declaration.ts';
import type { ToolName } from '../../tools/schemas.ts';
import type { Slot } from './slots.ts';
import type { Extraction, Field, Plan } from './types.ts';

/**
 * How the offline planner reads a request for one tool: its scoring (`reading`), or where the
 * shared slots cannot say it yet, a reader of the whole request (`whole`). The rest of what a tool
 * declares (what it can do, its examples, its clause, unread and topic words) is data beside its
 * schema, in src/tools/declarations; the two are joined by tool name in declarations/index.ts.
 */
export interface ToolReading {
  /** How the planner's scoring reads a request for it; see `Reading`. */
  readonly reading?: Reading;
  /** Shapes of a whole request read before any scoring; see `WholeRequest`. */
  readonly whole?: WholeRequest;
}

/** A tool's declared data and how the planner reads it, as the planner sees them together. */
export type PlannerDeclaration = ToolDeclaration & ToolReading;

/**
 * Shapes read whole, before the scoring, for what the shared slots cannot say yet (a schedule, an
 * idle span or threshold, a standby's machine options, a model to serve): the calls, a question,
 * or undefined when the request is not wholly one of them. The text comes with instance ids written
 * as "i-3" however they were named, and without the courtesy around it ("could you", "?").
 */
export interface WholeRequest {
  /** Tried lowest first: where two tools' shapes overlap, the one whose reading is narrower goes first. */
  readonly order: number;
  /**
   * Reads "it" or "that" as something from before this message (the last recommendation). After a
   * clause of the same message that named a GPU or an instance, "it" is that instead, so the reader
   * is skipped: "find a 4090 and deploy it" deploys the 4090.
   */
  readonly pronounsPointBack?: boolean;
  /**
   * Reads the message as typed, before it is cleaned or split into clauses, and only the whole
   * message: a command to run is shell text taken exactly as written, and holds words that would
   * otherwise split it or name ids ("cd src; python train.py --node 3"). Tried before every other reader.
   */
  readonly asTyped?: boolean;
  read(text: string): Plan | undefined;
}

/** Words of a request (matched on the lower-case text) and the points they give. */
export interface Cue {
  readonly pattern: RegExp;
  readonly points: number;
}

/** Points for a request that gave any of `slots`; negative for values the tool cannot use. */
export interface SlotCue {
  readonly slots: readonly Slot[];
  readonly points: number;
  /** "don't destroy i-3": once an act was cancelled, the id alone must not ask for this tool. */
  readonly notAfterNegation?: boolean;
}

/**
 * How the planner picks a tool and builds its call. Every declaration with a reading is scored on
 * the same request: its acts and objects found, its slots given or not. The highest score of at
 * least 3 wins; a tie goes to the lower `risk`.
 */
export interface Reading {
  /** Verb phrases people use for it ("pause", "shut down", "spin up"): points, and its own verb. */
  readonly acts: readonly Cue[];
  /** Nouns and question shapes that point at it ("offers", "my instances", "what's running"). */
  readonly objects: readonly Cue[];
  readonly slots: readonly SlotCue[];
  /** Spends money or changes machines: chosen only when one of its own acts is said ("4090 with pytorch" searches, it never rents). */
  readonly needsAct?: boolean;
  /** Rank among tied scores, lowest first: what costs least if it is the wrong reading. */
  readonly risk: number;
  /** Not asked for when one of these tools' acts is said: "pause all my instances" lists nothing. */
  readonly yieldsTo?: readonly ToolName[];
  /** The values it takes: a problem with any other value ("$0.4.5") is not worth a question. */
  readonly uses: readonly Field[];
  /** Takes a place that covers several ("APAC") as one call per place rather than asking which. */
  readonly takesEachPlace?: boolean;
  /** What a later clause borrows from the one before when it names none ("stop i-3 and destroy it"). */
  readonly inherits?: 'instances' | 'gpus' | 'jobs';
  /** The act as a question names it: "pause", "status of". */
  readonly verb: string;
  /** The calls, or the question to ask; undefined when the request is not one for this tool after all. */
  build(ex: Extraction, text: string): Plan | undefined;
}
