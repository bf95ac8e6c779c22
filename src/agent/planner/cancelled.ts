import { FALLBACK_EXAMPLES } from './example-requests.ts';

/** The answer to a request that cancels its own act ("don't destroy i-3"): nothing is done. */
export function cancelled(word: string): string {
  return `Okay, I won't ${word} anything. Try:\n${FALLBACK_EXAMPLES.map((e) => `• ${e}`).join('\n')}`;
}
