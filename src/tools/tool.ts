import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Database } from '../../db/schema.ts';
import type { GpuProvider } from '../cloud/provider.ts';
import type { Config } from '../config.ts';
import type { JobRef, OperationEnqueuer } from '../domain/operations.ts';
import type { RequestContext } from '../domain/request-context.ts';
import type { OperationInputsIn, ToolName } from './schemas.ts';

/** The job queue as tools see it: every kind's data held to that kind's schema. */
export type ToolOperations = OperationEnqueuer<OperationInputsIn>;

export interface ToolServices {
  config: Config;
  db: Kysely<Database>;
  provider: GpuProvider;
  operations: ToolOperations;
  log: Logger;
}

export interface ToolResult {
  /** Ready to show in chat. */
  text: string;
  /** Structured result for `--json` transcripts and for the LLM. */
  data: unknown;
  /** Set when the tool started a job whose progress the bot should follow. */
  job?: JobRef;
}

export interface Tool<S extends z.ZodObject = z.ZodObject> {
  name: ToolName;
  description: string;
  schema: S;
  /** quick tools answer at once; job tools enqueue an operation and return its reference. */
  kind: 'quick' | 'job';
  /**
   * The question to put to the requester before running, or null when none is needed. Checks
   * that can refuse (unknown instance, not yours) run here too, so nothing is asked in vain.
   */
  confirmation?(args: z.output<S>, ctx: RequestContext, services: ToolServices): Promise<string | null>;
  run(args: z.output<S>, ctx: RequestContext, services: ToolServices): Promise<ToolResult>;
}

export function defineTool<S extends z.ZodObject>(tool: Tool<S>): Tool<S> {
  return tool;
}
