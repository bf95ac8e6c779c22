import type {
  ChatSurface,
  ConfirmOptions,
  MessageRef,
  OutgoingMessage,
} from '../../src/agent/chat-surface.ts';

export interface RecordedEvent {
  type: 'post' | 'update' | 'confirm' | 'tool_call';
  ref?: string;
  message?: OutgoingMessage;
  question?: string;
  answer?: boolean;
  /** The confirmation had to be asked: a standing yes did not cover it. */
  mustAsk?: boolean;
  tool?: string;
  args?: unknown;
  at: number;
}

/** A chat surface that remembers everything, for asserting what a user would have seen. */
export class RecordingSurface implements ChatSurface {
  readonly name = 'recording';
  readonly events: RecordedEvent[] = [];
  private counter = 0;
  /** Answers to confirmation questions, in order; when empty, declines (or see `yes`). */
  confirmations: boolean[] = [];
  /** As `gpuops ask --yes`: confirms whatever a standing yes may cover, when no answer is queued. */
  yes = false;

  async post(message: OutgoingMessage): Promise<MessageRef> {
    const ref = { id: `r${++this.counter}` };
    this.events.push({ type: 'post', ref: ref.id, message, at: Date.now() });
    return ref;
  }

  async update(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    this.events.push({ type: 'update', ref: ref.id, message, at: Date.now() });
  }

  async confirm(question: string, options: ConfirmOptions = {}): Promise<boolean> {
    const mustAsk = options.mustAsk === true;
    const answer = this.confirmations.shift() ?? (this.yes && !mustAsk);
    this.events.push({ type: 'confirm', question, answer, mustAsk, at: Date.now() });
    return answer;
  }

  toolCall(call: { tool: string; args: unknown }): void {
    this.events.push({ type: 'tool_call', tool: call.tool, args: call.args, at: Date.now() });
  }

  /** Texts of posted messages (not updates). */
  posts(kind?: OutgoingMessage['kind']): string[] {
    return this.events
      .filter((e) => e.type === 'post' && (!kind || e.message?.kind === kind))
      .map((e) => e.message!.text);
  }

  /** Every version of one message, first post then edits. */
  versionsOf(ref: string): OutgoingMessage[] {
    return this.events
      .filter((e) => e.ref === ref && (e.type === 'post' || e.type === 'update'))
      .map((e) => e.message!);
  }

  progressRefs(): string[] {
    return this.events.filter((e) => e.type === 'post' && e.message?.kind === 'progress').map((e) => e.ref!);
  }

  errors(): OutgoingMessage[] {
    return this.events.filter((e) => e.type === 'post' && e.message?.kind === 'error').map((e) => e.message!);
  }

  clear(): void {
    this.events.length = 0;
  }
}
