import type { z } from 'zod';
import type { ChatSurface } from '../bots/chat-surface.ts';
import { ProgressRelay } from '../bots/progress-relay.ts';
import { renderProgress } from '../bots/render.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../errors.ts';
import type { JobWatcher } from '../jobs/job-watcher.ts';
import type { ProgressView } from '../jobs/progress.ts';
import { countMetric } from '../metrics.ts';
import { getTool } from '../tools/registry.ts';
import type { PlannedCall } from '../tools/schemas.ts';
import type { RequestContext, ToolServices } from '../tools/tool.ts';
import type { AgentMessage, AgentModel, ModelToolCall } from './agent-model.ts';
import { notUnderstood } from './help.ts';
import { checkText } from './plan.ts';

/** Characters of a tool's structured result passed back to the model alongside its text. */
const MAX_TOOL_JSON_FOR_MODEL = 4_000;
/** Model turns per request; tool loops beyond this stop with an explanation. */
const MAX_STEPS = 6;

export interface AgentOptions {
  progressIntervalMs: number;
}

export interface HandledRequest {
  /** Final views of the jobs this request started, resolving as they end. */
  jobs: Promise<ProgressView>[];
  /** Tools that ran (after validation and confirmation). */
  calls: PlannedCall[];
}

/**
 * One agent loop over any AgentModel: the model proposes tool calls, the agent validates them
 * against each tool's schema, asks for confirmation where the tool wants it, runs them, shows
 * their output, and follows the jobs they start in a progress message.
 */
export class Agent {
  constructor(
    private readonly model: AgentModel,
    private readonly services: ToolServices,
    private readonly watcher: JobWatcher | undefined,
    private readonly options: AgentOptions,
  ) {}

  get modelName(): string {
    return this.model.name;
  }

  async handle(text: string, context: RequestContext, chat: ChatSurface): Promise<HandledRequest> {
    const surface = counted(chat);
    const handled: HandledRequest = { jobs: [], calls: [] };
    try {
      const refusal = checkText(text);
      if (refusal) {
        await surface.post({ kind: 'reply', text: refusal });
        return handled;
      }
      const messages: AgentMessage[] = [{ role: 'user', content: text }];
      for (let step = 0; step < MAX_STEPS; step++) {
        const turn = await this.model.next(messages);
        if (turn.toolCalls.length === 0) {
          if (turn.text) await surface.post({ kind: 'reply', text: turn.text });
          else if (step === 0) await surface.post({ kind: 'reply', text: notUnderstood() });
          return handled;
        }
        if (turn.text) await surface.post({ kind: 'reply', text: turn.text });
        messages.push({ role: 'assistant', content: turn.text, toolCalls: turn.toolCalls });
        for (const call of turn.toolCalls) {
          const content = await this.runCall(call, context, surface, handled);
          messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content });
        }
      }
      await surface.post({
        kind: 'reply',
        text: 'I stopped there: that took more steps than I allow for one request. Ask again more specifically.',
      });
    } catch (err) {
      const error = asGpuopsError(err);
      this.services.log.error({ err, user: context.user, code: error.code }, 'request failed');
      await surface.post({ kind: 'error', code: error.code, text: `⚠️ ${error.message}` });
    }
    return handled;
  }

  /** Runs one tool call and returns what the model should read about it. */
  private async runCall(
    call: ModelToolCall,
    context: RequestContext,
    surface: ChatSurface,
    handled: HandledRequest,
  ): Promise<string> {
    const tool = getTool(call.name);
    if (!tool) {
      const text = `There is no tool called "${call.name}".`;
      await surface.post({ kind: 'error', code: ErrorCode.BadInput, text: `⚠️ ${text}` });
      return text;
    }
    surface.toolCall?.({ tool: tool.name, args: call.args });
    const parsed = tool.schema.safeParse(call.args);
    if (!parsed.success) {
      const text = `I can't run ${tool.name} with those details: ${describeIssues(parsed.error)}.`;
      await surface.post({ kind: 'error', code: ErrorCode.BadInput, text: `⚠️ ${text}` });
      return text;
    }
    try {
      const question = await tool.confirmation?.(parsed.data, context, this.services);
      if (question) {
        const confirmed = await surface.confirm(question);
        if (!confirmed) {
          const text = `Cancelled: ${tool.name} was not run and nothing changed.`;
          await surface.post({ kind: 'reply', text });
          return text;
        }
      }
      const result = await tool.run(parsed.data, context, this.services);
      handled.calls.push({ tool: tool.name, args: call.args });
      await surface.post({ kind: 'reply', text: result.text, data: result.data });
      if (result.job)
        handled.jobs.push(this.follow(result.job.operationId, result.job.kind, result.job.instance, surface));
      // The model reads the structured result too, unless it is bulky (the advisor's full fit
      // table): then the rendered text, which carries the figures that matter, is enough.
      const json = JSON.stringify(result.data);
      return json.length <= MAX_TOOL_JSON_FOR_MODEL ? `${result.text}\n${json}` : result.text;
    } catch (err) {
      const error = asGpuopsError(err);
      if (error.code === ErrorCode.Internal) this.services.log.error({ err, tool: tool.name }, 'tool failed');
      await surface.post({ kind: 'error', code: error.code, text: `⚠️ ${error.message}` });
      return `Error ${error.code}: ${error.message}`;
    }
  }

  /** Posts one progress message for a job and keeps it current until the job ends. */
  private async follow(
    operationId: string,
    kind: ProgressView['kind'],
    instance: string | undefined,
    surface: ChatSurface,
  ): Promise<ProgressView> {
    const initial: ProgressView = {
      operationId,
      kind,
      ...(instance && { instance }),
      state: 'queued',
      step: 'Queued',
      stepIndex: 0,
      stepCount: 1,
      pct: 0,
      startedAt: Date.now(),
    };
    const ref = await surface.post({ kind: 'progress', text: renderProgress(initial), progress: initial });
    if (!this.watcher) {
      throw new GpuopsError(
        ErrorCode.Internal,
        'This process has no job watcher; progress cannot be followed.',
      );
    }
    const relay = new ProgressRelay(
      (view) => surface.update(ref, { kind: 'progress', text: renderProgress(view), progress: view }),
      this.options.progressIntervalMs,
      (err) => this.services.log.warn({ err, op: operationId }, 'could not update progress message'),
    );
    const final = await this.watcher.watch(operationId, { progress: (view) => relay.progress(view) });
    await relay.final(final);
    return final;
  }
}

/** The same surface, counting what it posts and edits for /metrics. */
function counted(surface: ChatSurface): ChatSurface {
  const platform = surface.name;
  return {
    name: platform,
    post(message) {
      countMetric('chatMessages', { platform, kind: message.kind });
      return surface.post(message);
    },
    update(ref, message) {
      countMetric('chatEdits', { platform });
      return surface.update(ref, message);
    },
    confirm: (question) => surface.confirm(question),
    ...(surface.toolCall && { toolCall: (call) => surface.toolCall?.(call) }),
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    .join('; ');
}
