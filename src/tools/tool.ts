import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Database, OperationKind, ReplyTarget } from '../../db/schema.ts';
import type { GpuProvider } from '../cloud/provider.ts';
import type { Config } from '../config.ts';
import type { OperationArgsIn, ToolName } from './schemas.ts';

/** Who is asking and where the answer goes. */
export interface RequestContext {
  /** Who asks: platform-qualified on chat platforms (`slack:T1:U1`), the login on the terminal. */
  user: string;
  /** How the person is shown (audit log, messages); defaults to `user`. */
  userName?: string;
  platform?: string;
  /** Instances belong to the channel they were deployed from; other channels cannot touch them. */
  channel: string;
  thread?: string;
  /** The conversation (thread) the request belongs to, when it has one of its own. */
  conversation?: string;
  replyTo: ReplyTarget;
}

/** The requester as the audit log and messages name them. */
export function requesterName(ctx: RequestContext): string {
  return ctx.userName && ctx.userName !== ctx.user ? `${ctx.userName} (${ctx.user})` : ctx.user;
}

/** Puts an operation on the job queue; implemented in src/jobs. */
export interface OperationEnqueuer {
  enqueue<K extends OperationKind>(request: {
    kind: K;
    args: OperationArgsIn<K>;
    context: RequestContext;
    instanceId?: number;
    /** Queued operations of these kinds on the same instance are cancelled in favour of this one. */
    supersedes?: readonly OperationKind[];
  }): Promise<JobRef>;
}

export interface JobRef {
  operationId: string;
  kind: OperationKind;
  instance?: string;
}

export interface ToolServices {
  config: Config;
  db: Kysely<Database>;
  provider: GpuProvider;
  operations: OperationEnqueuer;
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
