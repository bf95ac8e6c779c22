import type { ChatSurface, ConfirmOptions, MessageRef, OutgoingMessage } from '../../agent/chat-surface.ts';
import { inertJson } from './terminal-text.ts';

/**
 * `gpuops ask --json`: every reply, tool call, progress update and confirmation as one JSON
 * object per line, for scripts.
 */
export class JsonTranscriptSurface implements ChatSurface {
  readonly name = 'json';
  private counter = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly autoConfirm: boolean,
  ) {}

  emit(event: Record<string, unknown>): void {
    this.out.write(`${inertJson(JSON.stringify(event))}\n`);
  }

  async post(message: OutgoingMessage): Promise<MessageRef> {
    const ref = { id: `m${++this.counter}` };
    this.emitMessage(ref, message);
    return ref;
  }

  async update(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    this.emitMessage(ref, message);
  }

  async confirm(question: string, options: ConfirmOptions = {}): Promise<boolean> {
    const answer = this.autoConfirm && !options.mustAsk;
    this.emit({
      type: 'confirm',
      question,
      answer,
      ...(answer
        ? {}
        : {
            hint: options.mustAsk
              ? 'not confirmed: your request did not name what this acts on, so --yes does not cover it; name it in the request, or confirm in `gpuops chat`'
              : 'not confirmed: run again with --yes to confirm',
          }),
    });
    return answer;
  }

  toolCall(call: { tool: string; args: unknown }): void {
    this.emit({ type: 'tool_call', tool: call.tool, args: call.args });
  }

  private emitMessage(ref: MessageRef, message: OutgoingMessage): void {
    if (message.kind === 'progress' && message.progress) {
      this.emit({ type: 'progress', message: ref.id, text: message.text, ...message.progress });
    } else if (message.kind === 'error') {
      this.emit({ type: 'error', message: ref.id, code: message.code, text: message.text });
    } else {
      this.emit({
        type: 'reply',
        message: ref.id,
        text: message.text,
        ...(message.data !== undefined && { data: message.data }),
      });
    }
  }
}
