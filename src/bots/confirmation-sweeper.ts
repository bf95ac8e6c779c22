import type { Logger } from 'pino';
import type { ChatSurface } from '../agent/chat-surface.ts';
import type { ReplyTarget } from '../domain/request-context.ts';
import { type ButtonConfirmations, closedText } from './button-confirmations.ts';

/** How often expired confirmations lose their buttons. */
const EXPIRY_SWEEP_MS = 30_000;

/**
 * Every 30 s, takes the buttons off a platform's expired confirmations: each question's message
 * then says it expired, whichever process asked it. Returns what stops the sweeps.
 */
export function startConfirmationSweeper(
  confirmations: ButtonConfirmations,
  platform: string,
  surfaceFor: (question: ReplyTarget) => ChatSurface,
  log: Logger,
): () => void {
  const sweeper = setInterval(() => {
    void (async () => {
      for (const row of await confirmations.expireDue(platform)) {
        const at = row.message;
        if (!at?.message) continue;
        await surfaceFor(at)
          .update({ id: at.message }, { kind: 'reply', text: closedText(row) })
          .catch((err: unknown) => log.warn({ err }, 'could not mark a confirmation expired'));
      }
    })();
  }, EXPIRY_SWEEP_MS);
  sweeper.unref();
  return () => clearInterval(sweeper);
}
