import type { JobRef } from '../domain/operations.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { asGpuopsError, ErrorCode, type GpuopsError } from '../errors.ts';
import { countMetric } from '../metrics.ts';
import { getTool, TOOLS } from '../tools/registry.ts';
import type { PlannedCall } from '../tools/schemas.ts';
import type { Tool, ToolServices } from '../tools/tool.ts';
import type { AgentMessage, AgentModel, ModelToolCall } from './agent-model.ts';
import type { ChatSurface } from './chat-surface.ts';
import type { Conversation } from './conversation.ts';
import { notUnderstood } from './help.ts';
import { checkText } from './plan.ts';
import { callKey, describeCall, fenced, machinesAskedFor, namedByUser } from './provenance.ts';
import { readTextToolCalls, TOOL_CALLING_HINT } from './text-tool-calls.ts';
import { checkToolArguments, malformedCallError, unknownToolError } from './tool-arguments.ts';

/** Characters of a tool's structured result passed back to the model alongside its text. */
const MAX_TOOL_JSON_FOR_MODEL = 4_000;
/** Model turns per request; tool loops beyond this stop with an explanation. */
const MAX_STEPS = 6;

export interface HandledRequest {
  /** The operations this request started; src/bots follows them in progress messages. */
  started: JobRef[];
  /** Calls put to the requester with buttons, which run if and when they confirm. */
  awaiting: string[];
  /** Tools that ran (after validation and confirmation), with their arguments as they ran. */
  calls: PlannedCall[];
  /**
   * What was asked for and did not happen: a confirmation declined, a call held back, the step
   * limit reached. A request with any is not done, whatever else ran.
   */
  notDone: string[];
  /** What went wrong without undoing what ran (the model failing after a deploy started). */
  warnings: string[];
}

const TOOL_NAMES: ReadonlySet<string> = new Set(TOOLS.map((t) => t.name));

/** Kinds of operation that start billing, and so are counted per request. */
const COSTLY: Partial<Record<string, 'deploy' | 'resume'>> = {
  deploy: 'deploy',
  deploy_recommendation: 'deploy',
  resume: 'resume',
};

/** What one request has started so far, so a looping model cannot start it again. */
interface RequestLedger {
  text: string;
  started: Map<string, JobRef>;
  costly: Map<string, number>;
  /** How many billing operations of one kind the user asked for ("two separate 4090 machines"). */
  allowed: number;
}

/**
 * One agent loop over any AgentModel: the model proposes tool calls, the agent validates them
 * against each tool's schema, asks for confirmation where the tool wants it, runs them, shows
 * their output, and returns the operations they started for the chat to follow.
 */
export class Agent {
  constructor(
    private readonly model: AgentModel,
    private readonly services: ToolServices,
  ) {}

  get modelName(): string {
    return this.model.name;
  }

  /**
   * Handles one request. With a conversation, the model reads its recent turns first, what the
   * user said earlier counts as their own words, and this turn is added to it.
   */
  async handle(
    text: string,
    context: RequestContext,
    chat: ChatSurface,
    conversation?: Conversation,
  ): Promise<HandledRequest> {
    const said: string[] = [];
    const surface = remembering(counted(chat), said);
    const handled = emptyHandled();
    const ledger: RequestLedger = {
      text: conversation ? `${conversation.userWords()}\n${text}` : text,
      started: new Map(),
      costly: new Map(),
      allowed: machinesAskedFor(text),
    };
    try {
      return await this.converse(text, context, surface, handled, ledger, conversation);
    } finally {
      conversation?.record(text, said.join('\n'));
    }
  }

  private async converse(
    text: string,
    context: RequestContext,
    surface: ChatSurface,
    handled: HandledRequest,
    ledger: RequestLedger,
    conversation: Conversation | undefined,
  ): Promise<HandledRequest> {
    try {
      const refusal = checkText(text);
      if (refusal) {
        await surface.post({ kind: 'reply', text: refusal });
        return handled;
      }
      const messages: AgentMessage[] = [...(conversation?.history() ?? []), { role: 'user', content: text }];
      let hinted = false;
      for (let step = 0; step < MAX_STEPS; step++) {
        let turn = await this.model.next(messages, {
          user: context.user,
          channel: context.channel,
          now: new Date(),
        });
        if (turn.toolCalls.length === 0 && turn.text) {
          const written = readTextToolCalls(turn.text, TOOL_NAMES);
          if (written.kind !== 'none') {
            if (!hinted) {
              hinted = true;
              await surface.post({
                kind: 'reply',
                text: `ℹ️ ${TOOL_CALLING_HINT} ${written.kind === 'calls' ? 'gpuops read the call exactly and ran it as one.' : 'It could not be read exactly, so nothing was run.'}`,
              });
            }
            if (written.kind === 'unreadable') {
              handled.notDone.push("the model's tool call could not be read");
              return handled;
            }
            turn = { text: '', toolCalls: written.calls };
          }
        }
        if (turn.toolCalls.length === 0) {
          if (turn.text) await surface.post({ kind: 'reply', text: turn.text });
          else if (step === 0) await surface.post({ kind: 'reply', text: notUnderstood() });
          return handled;
        }
        if (turn.text) await surface.post({ kind: 'reply', text: turn.text });
        messages.push({ role: 'assistant', content: turn.text, toolCalls: turn.toolCalls });
        for (const call of turn.toolCalls) {
          const content = await this.runCall(call, context, surface, handled, ledger);
          messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content });
        }
      }
      handled.notDone.push('the step limit was reached');
      await surface.post({
        kind: 'reply',
        text: 'I stopped there: that took more steps than I allow for one request. Ask again more specifically.',
      });
    } catch (err) {
      const error = asGpuopsError(err);
      this.services.log.error({ err, user: context.user, code: error.code }, 'request failed');
      if (handled.calls.length > 0) {
        // What ran stands (a deploy keeps going); only the conversation ended early.
        handled.warnings.push(error.message);
        await surface.post({
          kind: 'reply',
          text: `⚠️ ${withCode(error)} What already ran is shown above${handled.started.length > 0 ? ' and its operations continue' : ''}.`,
        });
      } else {
        await surface.post({ kind: 'error', code: error.code, text: `⚠️ ${withCode(error)}` });
      }
    }
    return handled;
  }

  /** Runs one tool call and returns what the model should read about it. */
  private async runCall(
    call: ModelToolCall,
    context: RequestContext,
    surface: ChatSurface,
    handled: HandledRequest,
    ledger: RequestLedger,
  ): Promise<string> {
    // Whatever the model did wrong goes back to it to correct; the user sees what then runs.
    const tool = getTool(call.name);
    if (!tool) {
      return unknownToolError(call.name, [...TOOL_NAMES]);
    }
    if (call.malformed) {
      return malformedCallError(tool.name, call.malformed);
    }
    const checked = checkToolArguments(tool, call.args);
    if (!checked.ok) return checked.error;
    const { args, notes } = checked;
    const heldBack = this.holdBack(tool, args, ledger);
    if (heldBack) {
      // The user's request stands as it ran; the extra call the model wanted is shown, not done.
      await surface.post({ kind: 'reply', text: `Held back: ${heldBack}` });
      return `Not run: ${heldBack} Do not call it again; tell the user what was done.`;
    }
    surface.toolCall?.({ tool: tool.name, args });
    try {
      const question = await tool.confirmation?.(args, context, this.services);
      const mustAsk = !namedByUser(tool.name, args, ledger.text);
      if (question || mustAsk) {
        const answer = await surface.confirm(
          question ?? `${describeCall(tool.name, args)}: you did not name this in your request. Go ahead?`,
          { mustAsk, call: { tool: tool.name, args, context } },
        );
        if (answer === 'pending') {
          handled.awaiting.push(tool.name);
          return `Waiting for the requester to confirm ${tool.name} with the buttons shown; it runs if they do. Do not call it again.`;
        }
        if (!answer) {
          const text = `Cancelled: ${tool.name} was not run and nothing changed.`;
          handled.notDone.push(`${tool.name} was not confirmed`);
          await surface.post({ kind: 'reply', text });
          return `${text} Do not call it again unless the user asks.`;
        }
      }
      const before = handled.started.length;
      const body = await this.execute(tool, args, context, surface, handled);
      const job = handled.started[before];
      if (job) {
        ledger.started.set(callKey(tool.name, args), job);
        const kind = COSTLY[tool.name];
        if (kind) ledger.costly.set(kind, (ledger.costly.get(kind) ?? 0) + 1);
      }
      return fenced(tool.name, notes.length > 0 ? `(read as: ${notes.join('; ')})\n${body}` : body);
    } catch (err) {
      return fenced(tool.name, await this.reportToolError(tool, err, surface));
    }
  }

  /**
   * Runs a call its requester confirmed with a button, from the stored confirmation. The stored
   * arguments are checked against the schema again, and the tool's own checks (the instance is
   * still yours, still there) run again; only the question is not asked twice.
   */
  async runConfirmed(
    call: { tool: string; args: unknown },
    context: RequestContext,
    chat: ChatSurface,
  ): Promise<HandledRequest> {
    return this.runStored(call, context, chat, false);
  }

  /**
   * Runs the call behind a notice's button ("Keep i-3 running") as the person who clicked it:
   * checked against the schema, through the tool's own checks, and confirmed first where the
   * tool asks (a click is not a confirmation of something that costs money).
   */
  async runAction(
    call: { tool: string; args: unknown },
    context: RequestContext,
    chat: ChatSurface,
  ): Promise<HandledRequest> {
    return this.runStored(call, context, chat, true);
  }

  private async runStored(
    call: { tool: string; args: unknown },
    context: RequestContext,
    chat: ChatSurface,
    ask: boolean,
  ): Promise<HandledRequest> {
    const surface = counted(chat);
    const handled = emptyHandled();
    const tool = getTool(call.tool);
    const checked = tool ? checkToolArguments(tool, call.args) : undefined;
    if (!tool || !checked?.ok) {
      await surface.post({
        kind: 'error',
        code: ErrorCode.BadInput,
        text: '⚠️ That button no longer describes a call gpuops can run; nothing was done. Ask again.',
      });
      handled.notDone.push(`${call.tool} could not be run`);
      return handled;
    }
    try {
      const question = await tool.confirmation?.(checked.args, context, this.services);
      if (ask && question) {
        const answer = await surface.confirm(question, {
          mustAsk: true,
          call: { tool: tool.name, args: checked.args, context },
        });
        if (answer === 'pending') {
          handled.awaiting.push(tool.name);
          return handled;
        }
        if (!answer) {
          handled.notDone.push(`${tool.name} was not confirmed`);
          await surface.post({
            kind: 'reply',
            text: `Cancelled: ${tool.name} was not run and nothing changed.`,
          });
          return handled;
        }
      }
      await this.execute(tool, checked.args, context, surface, handled);
    } catch (err) {
      await this.reportToolError(tool, err, surface);
      handled.notDone.push(`${tool.name} failed`);
    }
    return handled;
  }

  /** Runs a validated, confirmed call, shows its result and returns what the model reads of it. */
  private async execute(
    tool: Tool,
    args: Record<string, unknown>,
    context: RequestContext,
    surface: ChatSurface,
    handled: HandledRequest,
  ): Promise<string> {
    const result = await tool.run(args, context, this.services);
    handled.calls.push({ tool: tool.name, args });
    await surface.post({ kind: 'reply', text: result.text, data: result.data });
    if (result.job) handled.started.push(result.job);
    // The model reads the structured result too, unless it is bulky (the advisor's full fit
    // table): then the rendered text, which carries the figures that matter, is enough.
    const json = JSON.stringify(result.data);
    return json.length <= MAX_TOOL_JSON_FOR_MODEL ? `${result.text}\n${json}` : result.text;
  }

  private async reportToolError(tool: Tool, err: unknown, surface: ChatSurface): Promise<string> {
    const error = asGpuopsError(err);
    if (error.code === ErrorCode.Internal) this.services.log.error({ err, tool: tool.name }, 'tool failed');
    await surface.post({ kind: 'error', code: error.code, text: `⚠️ ${withCode(error)}` });
    return `Error ${error.code}: ${error.message}`;
  }

  /** Why a job-starting call must not run in this request (a repeat, or more than asked for), or undefined. */
  private holdBack(tool: Tool, args: Record<string, unknown>, ledger: RequestLedger): string | undefined {
    if (tool.kind !== 'job') return undefined;
    const earlier = ledger.started.get(callKey(tool.name, args));
    if (earlier) {
      return `this exact ${tool.name} already started in this request (${earlier.operationId}${earlier.instance ? `, ${earlier.instance}` : ''}); it is not started twice.`;
    }
    const kind = COSTLY[tool.name];
    if (kind && (ledger.costly.get(kind) ?? 0) >= ledger.allowed) {
      return `a ${kind === 'deploy' ? 'second deploy' : 'second resume'} in one request: the request asked for ${ledger.allowed === 1 ? 'one' : ledger.allowed}, and each bills. Ask again to start another.`;
    }
    return undefined;
  }
}

function emptyHandled(): HandledRequest {
  return { started: [], awaiting: [], calls: [], notDone: [], warnings: [] };
}

/** The same surface, keeping the text of what it posts (not progress) as the turn's answer. */
function remembering(surface: ChatSurface, said: string[]): ChatSurface {
  return {
    ...surface,
    name: surface.name,
    post(message) {
      if (message.kind !== 'progress') said.push(message.text);
      return surface.post(message);
    },
    update: (ref, message) => surface.update(ref, message),
    confirm: (question, options) => surface.confirm(question, options),
  };
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
    confirm: (question, options) => surface.confirm(question, options),
    ...(surface.toolCall && { toolCall: (call) => surface.toolCall?.(call) }),
  };
}

/**
 * An error as a person reads it in chat: its message and its code, which is what whoever runs
 * gpuops looks up in the logs and what a person quotes when asking for help.
 */
function withCode(error: GpuopsError): string {
  return `${error.message} (${error.code})`;
}
