import type { PlannedCall, ToolName } from '../tools/schemas.ts';
import type { AgentModel } from './agent-model.ts';
import { notUnderstood } from './help.ts';

/**
 * Planning without running: kept apart from the agent loop so `gpuops plan` loads only the model
 * it asks, not the tools, queue and database behind them.
 */

/** Longer messages are refused before any model sees them. */
export const MAX_MESSAGE_LENGTH = 4_000;

/** The tool calls a model would make first for a request, without running anything. */
export async function planWith(
  model: AgentModel,
  text: string,
): Promise<{ calls: PlannedCall[]; reply: string }> {
  const refusal = checkText(text);
  if (refusal) return { calls: [], reply: refusal };
  const turn = await model.next([{ role: 'user', content: text }]);
  return { calls: turn.toolCalls.map((c) => ({ tool: c.name as ToolName, args: c.args })), reply: turn.text };
}

/** Why a message is refused before planning (empty, too long), or undefined. */
export function checkText(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return notUnderstood('You sent an empty message.');
  if (trimmed.length > MAX_MESSAGE_LENGTH) {
    return notUnderstood(
      `That message is ${trimmed.length.toLocaleString('en-US')} characters long; I read requests of up to ${MAX_MESSAGE_LENGTH.toLocaleString('en-US')}.`,
    );
  }
  return undefined;
}
