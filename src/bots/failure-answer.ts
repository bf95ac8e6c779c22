import type { OutgoingMessage } from '../agent/chat-surface.ts';
import { asGpuopsError, ErrorCode } from '../errors.ts';
import { redact } from '../redact.ts';

/**
 * What a person is told when their request, click or command failed outside the agent's own
 * answers (the chat could not take a post, the database went away): the error's message, its
 * code, and what to do. Every entry point that ends in a catch answers with this, never silence.
 */
export function failureAnswer(err: unknown): OutgoingMessage & { code: string } {
  const error = asGpuopsError(err);
  const next = error.retryable
    ? 'Try again in a minute.'
    : error.code === ErrorCode.Internal
      ? 'Try again; if it fails again, tell whoever runs gpuops this code and the time.'
      : '';
  return {
    kind: 'error',
    code: error.code,
    // An unexpected error's message comes from wherever it was thrown: no secret of it reaches chat.
    text: `⚠️ That failed (${error.code}): ${redact(error.message)}${next ? ` ${next}` : ''}`,
  };
}
