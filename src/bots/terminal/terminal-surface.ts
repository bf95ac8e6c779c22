import { clearScreenDown, cursorTo, type Interface, moveCursor } from 'node:readline';
import type { ChatSurface, ConfirmOptions, MessageRef, OutgoingMessage } from '../../agent/chat-surface.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { renderProgress } from '../render.ts';
import { terminalSafe } from './terminal-text.ts';

export interface TerminalSurfaceOptions {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  /** True on a TTY: progress edits its own line instead of printing a new one. */
  inPlace: boolean;
  confirm(question: string, options?: ConfirmOptions): Promise<boolean>;
  /** The chat prompt to redraw after output arrives while someone is typing. */
  prompt?: Interface;
}

/** Plain-text chat in a terminal: messages print as lines; progress rewrites its line while it is the latest. */
export class TerminalSurface implements ChatSurface {
  readonly name = 'terminal';
  private counter = 0;
  private last: { ref: string; rows: number } | undefined;
  private readonly lastText = new Map<string, string>();
  promptVisible = false;

  constructor(private readonly options: TerminalSurfaceOptions) {}

  async post(message: OutgoingMessage): Promise<MessageRef> {
    const ref = { id: `t${++this.counter}` };
    this.write(ref.id, terminalText(message), false);
    return ref;
  }

  async update(ref: MessageRef, message: OutgoingMessage): Promise<void> {
    const text = terminalText(message);
    if (this.lastText.get(ref.id) === text) return;
    const canRewrite = this.options.inPlace && this.last?.ref === ref.id;
    this.write(ref.id, text, canRewrite);
  }

  confirm(question: string, options?: ConfirmOptions): Promise<boolean> {
    return this.options.confirm(question, options);
  }

  private write(id: string, raw: string, rewrite: boolean): void {
    // Answers quote what people typed (and notices what providers named): never raw to a terminal.
    const text = terminalSafe(raw);
    const out = this.options.out as NodeJS.WriteStream;
    // A closed terminal takes nothing: saying so lets a notice wait for the next session rather
    // than be marked shown to nobody.
    if (!out.writable) {
      throw new GpuopsError(ErrorCode.Internal, 'The terminal is closed; the message was not shown.');
    }
    if (this.options.inPlace) {
      cursorTo(out, 0);
      if (rewrite && this.last) moveCursor(out, 0, -this.last.rows);
      clearScreenDown(out);
    }
    out.write(`${text}\n`);
    this.last = { ref: id, rows: rowsOf(text, out.columns ?? 80) };
    this.lastText.set(id, text);
    if (this.promptVisible) this.options.prompt?.prompt(true);
  }
}

/** A job's output lines plainly under its progress line: a terminal needs no code block. */
function terminalText(message: OutgoingMessage): string {
  const view = message.kind === 'progress' ? message.progress : undefined;
  return view?.output?.length ? renderProgress(view, Date.now(), { output: 'plain' }) : message.text;
}

function rowsOf(text: string, columns: number): number {
  return text
    .split('\n')
    .reduce((sum, line) => sum + Math.max(1, Math.ceil([...line].length / Math.max(1, columns))), 0);
}
