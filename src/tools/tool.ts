import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Database } from '../../db/schema.ts';
import type { GpuProvider } from '../cloud/provider.ts';
import type { Config } from '../config.ts';
import type { JobRef, OperationEnqueuer } from '../domain/operations.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
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

/** A tool as its module writes it: its checks and its action take what its own schema parsed. */
export interface ToolDefinition<S extends z.ZodObject> {
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

/**
 * A tool as the registry, the agent and the bots hold it, whatever its schema. Its arguments
 * arrive as data (a model's call, a stored confirmation, a button's call), and each entry point
 * reads them with the tool's own schema before its definition sees them: one list holds every
 * tool, and no definition is called with arguments its schema did not give.
 */
export interface Tool {
  readonly name: ToolName;
  readonly description: string;
  readonly schema: z.ZodObject;
  readonly kind: 'quick' | 'job';
  confirmation?(args: unknown, ctx: RequestContext, services: ToolServices): Promise<string | null>;
  run(args: unknown, ctx: RequestContext, services: ToolServices): Promise<ToolResult>;
}

export function defineTool<S extends z.ZodObject>(definition: ToolDefinition<S>): Tool {
  const { name, description, schema, kind, confirmation } = definition;
  // Callers check arguments against the schema first (the agent, to tell a model what it got
  // wrong); reading them again here is what lets the compiler hold the definition to its schema.
  const read = (args: unknown): z.output<S> => {
    const parsed = schema.safeParse(args);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`,
    );
    throw new GpuopsError(
      ErrorCode.BadInput,
      `${name} was not run: its arguments do not fit it (${issues.join('; ')}). Ask again.`,
      { cause: parsed.error },
    );
  };
  const tool: Tool = {
    name,
    description,
    schema,
    kind,
    run: async (args, ctx, services) => definition.run(read(args), ctx, services),
  };
  if (confirmation) {
    tool.confirmation = async (args, ctx, services) =>
      confirmation.call(definition, read(args), ctx, services);
  }
  return tool;
}
