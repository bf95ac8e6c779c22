import { createInterface } from 'node:readline';
import { Conversation } from '../../agent/conversation.ts';
import type { RequestContext } from '../../domain/request-context.ts';
import type { ChatRequests } from '../chat-requests.ts';
import { failureAnswer } from '../failure-answer.ts';
import type { NoticeFeed } from '../notice-feed.ts';
import { TerminalSurface } from './terminal-surface.ts';
import { terminalSafe } from './terminal-text.ts';

export interface TerminalChatOptions {
  chat: ChatRequests;
  context: RequestContext;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WriteStream;
  banner: string;
  /** Where notices for this chat's channel come from (an instance whose machine vanished...). */
  notices?: NoticeFeed;
}

/**
 * `gpuops chat`: a prompt that sends each line to the agent. Jobs keep reporting on their own
 * lines while the next request is typed.
 */
export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const tty = Boolean((output as NodeJS.WriteStream).isTTY) && Boolean((input as NodeJS.ReadStream).isTTY);
  const rl = createInterface({ input, output, terminal: tty, historySize: 200 });
  rl.setPrompt('you> ');

  const ask = (question: string) =>
    new Promise<boolean>((resolve) => {
      surface.promptVisible = false;
      rl.question(`${terminalSafe(question)}\nType "yes" to confirm, anything else cancels: `, (answer) => {
        resolve(/^\s*(y|yes)\s*$/i.test(answer));
      });
    });
  const surface = new TerminalSurface({ out: output, inPlace: tty, confirm: ask, prompt: rl });

  // The session is one conversation: a follow-up is read with what came before it.
  const conversation = new Conversation();
  output.write(`${options.banner}\n`);
  // Returned, not dropped: the feed marks the notice delivered once it was written, retries it if not.
  const unsubscribe = options.notices?.subscribe(options.context.channel, (notice) =>
    surface.post({ kind: 'reply', text: `⚠️ ${notice.text}` }),
  );
  const pending = new Set<Promise<unknown>>();
  const failed = async (err: unknown, what: string) => {
    options.chat.log.error({ err }, what);
    // Logged above; a terminal that cannot be written to has nobody left to tell.
    await surface.post(failureAnswer(err)).catch(() => undefined);
  };
  let busy = Promise.resolve();
  const showPrompt = () => {
    surface.promptVisible = true;
    rl.prompt();
  };

  const closed = new Promise<void>((resolve) => rl.on('close', resolve));
  rl.on('line', (line) => {
    const text = line.trim();
    if (text === '') {
      showPrompt();
      return;
    }
    if (/^(exit|quit|bye|\/exit|\/quit)$/i.test(text)) {
      rl.close();
      return;
    }
    surface.promptVisible = false;
    // Requests run one after another, like a conversation; their jobs run on in the background.
    busy = busy.then(async () => {
      try {
        const handled = await options.chat.handle(text, options.context, surface, conversation);
        for (const job of handled.jobs) {
          const tracked = job
            .catch((err: unknown) => failed(err, 'could not follow an operation'))
            .finally(() => pending.delete(tracked));
          pending.add(tracked);
        }
      } catch (err) {
        // Answered, and the session goes on: a failed request must not stop the next one.
        await failed(err, 'could not answer a terminal request');
      }
      showPrompt();
    });
  });
  showPrompt();
  await closed;
  unsubscribe?.();
  await busy;
  if (pending.size > 0) {
    output.write(
      `Waiting for ${pending.size} running job(s) to finish (Ctrl-C to leave them to the worker)...\n`,
    );
    await Promise.allSettled([...pending]);
  }
}
