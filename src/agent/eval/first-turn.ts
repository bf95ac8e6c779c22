import { performance } from 'node:perf_hooks';
import { TOOLS } from '../../tools/registry.ts';
import type { AgentMessage, AgentModel, ModelToolCall, TokenUsage, TurnContext } from '../agent-model.ts';
import { checkText } from '../plan.ts';
import { fenced } from '../provenance.ts';
import { readTextToolCalls } from '../text-tool-calls.ts';
import { malformedCallError, unknownToolError } from '../tool-arguments.ts';
import { type ReadCall, type RefusedCall, readCall } from './compare-calls.ts';

/**
 * The calls a model makes first for a request, without running any: what `gpuops plan` shows,
 * plus the corrections the agent would ask for. A call the agent would refuse (broken JSON, an
 * unknown tool, arguments its schema refuses) goes back to the model with the error the agent
 * would send, and the model may try again, up to MAX_TRIES model calls in all.
 */

/** Model calls for one request, the first included. */
export const MAX_TRIES = 3;

export interface FirstTurn {
  /** Calls the agent would run, with their arguments as it would run them. */
  calls: ReadCall[];
  /** Calls still refused after the last try. */
  refused: RefusedCall[];
  /** What the model said instead of (or beside) calling tools. */
  reply: string;
  /** Model calls made. */
  roundTrips: number;
  /** Summed over the model calls; undefined when the model reports none. */
  usage: TokenUsage | undefined;
  latencyMs: number;
}

const TOOL_NAMES: ReadonlySet<string> = new Set(TOOLS.map((t) => t.name));

/** Sent back for a call that was accepted: the dry run runs nothing, and says so. */
const ACCEPTED = 'Accepted as sent. This is a dry run, so it was not run; do not call it again.';

export async function firstTurn(model: AgentModel, text: string, context: TurnContext): Promise<FirstTurn> {
  const started = performance.now();
  const result: FirstTurn = {
    calls: [],
    refused: [],
    reply: '',
    roundTrips: 0,
    usage: undefined,
    latencyMs: 0,
  };
  const refusal = checkText(text);
  if (refusal) return { ...result, reply: refusal };
  const messages: AgentMessage[] = [{ role: 'user', content: text }];
  const seen = new Set<string>();
  while (result.roundTrips < MAX_TRIES) {
    let turn = await model.next(messages, context);
    result.roundTrips++;
    if (turn.usage) {
      result.usage = {
        inputTokens: (result.usage?.inputTokens ?? 0) + turn.usage.inputTokens,
        outputTokens: (result.usage?.outputTokens ?? 0) + turn.usage.outputTokens,
      };
    }
    // As the agent does: calls a model wrote as text are read when they read exactly.
    if (turn.toolCalls.length === 0 && turn.text) {
      const written = readTextToolCalls(turn.text, TOOL_NAMES);
      if (written.kind === 'unreadable') {
        result.refused = [
          { tool: '(text)', args: {}, error: 'a tool call written as text that cannot be read exactly' },
        ];
        result.reply = turn.text;
        break;
      }
      if (written.kind === 'calls') turn = { text: '', toolCalls: written.calls };
    }
    if (turn.toolCalls.length === 0) {
      result.reply = turn.text;
      break;
    }
    result.refused = [];
    const answers: AgentMessage[] = [];
    for (const call of turn.toolCalls) {
      const read = readModelCall(call);
      if ('error' in read) {
        result.refused.push(read);
      } else {
        // A model that sends an accepted call again with its correction adds nothing new.
        const key = `${read.tool} ${JSON.stringify(read.args)}`;
        if (!seen.has(key)) result.calls.push(read);
        seen.add(key);
      }
      answers.push({
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        content: 'error' in read ? read.error : fenced(read.tool, ACCEPTED),
      });
    }
    if (result.refused.length === 0) break;
    messages.push({ role: 'assistant', content: turn.text, toolCalls: turn.toolCalls }, ...answers);
  }
  result.latencyMs = performance.now() - started;
  return result;
}

/** The call as the agent reads it; a refusal carries the text the agent would send the model. */
function readModelCall(call: ModelToolCall): ReadCall | RefusedCall {
  if (!TOOL_NAMES.has(call.name)) {
    return {
      tool: call.name,
      args: call.args,
      error: unknownToolError(call.name, [...TOOL_NAMES]),
    };
  }
  if (call.malformed) {
    return {
      tool: call.name,
      args: call.args,
      error: malformedCallError(call.name, call.malformed),
    };
  }
  return readCall(call.name, call.args);
}
