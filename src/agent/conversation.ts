import { redact } from '../redact.ts';
import type { AgentMessage } from './agent-model.ts';

/**
 * The recent turns of one conversation (a terminal session; a chat thread), so a follow-up such
 * as "now pause it" is read with what came before. Kept as plain user and assistant text: tool
 * calls are summarised in the assistant's turn, so no stale tool-call ids reach the model.
 *
 * Turns are stored (db/repositories/conversations.ts) and sent to the model again, so what goes
 * in is redacted: an error that quoted a key, or a key someone pasted, is kept out of both.
 */
export class Conversation {
  private readonly turns: Array<{ user: string; assistant: string }>;

  /**
   * @param budgetTokens roughly how much history the model is sent (4 characters a token).
   * @param earlier turns already stored for this thread, oldest first.
   */
  constructor(
    private readonly budgetTokens = 2_000,
    earlier: ReadonlyArray<{ user: string; assistant: string }> = [],
  ) {
    this.turns = earlier.map((turn) => ({ user: redact(turn.user), assistant: redact(turn.assistant) }));
  }

  /** The turn recorded last, to store it. */
  lastTurn(): { user: string; assistant: string } | undefined {
    return this.turns[this.turns.length - 1];
  }

  /** The turns that fit the budget, oldest first, as messages before the next request. */
  history(): AgentMessage[] {
    const kept: Array<{ user: string; assistant: string }> = [];
    let chars = 0;
    for (const turn of [...this.turns].reverse()) {
      chars += turn.user.length + turn.assistant.length;
      if (chars / 4 > this.budgetTokens) break;
      kept.unshift(turn);
    }
    return kept.flatMap((turn) => [
      { role: 'user' as const, content: turn.user },
      { role: 'assistant' as const, content: turn.assistant, toolCalls: [] },
    ]);
  }

  /** Everything the user said in this conversation: what their own words named. */
  userWords(): string {
    return this.turns.map((t) => t.user).join('\n');
  }

  /** Adds what happened since (an operation's end) to the latest turn. */
  note(text: string): void {
    const last = this.turns[this.turns.length - 1];
    if (last) last.assistant = `${last.assistant}\n${redact(text)}`;
  }

  record(user: string, assistant: string): void {
    this.turns.push({ user: redact(user), assistant: redact(assistant) || '(no answer)' });
    // Far more than any budget sends; the rest would never be read.
    if (this.turns.length > 200) this.turns.shift();
  }
}
