import { notUnderstood as helpNotUnderstood } from '../help.ts';
import { MAX_REQUEST_CHARS } from './clean-request.ts';
import { FALLBACK_EXAMPLES } from './example-requests.ts';

/** The sentences the planner answers with when it cannot produce tool calls. */

/** Requests that work, shown whenever the planner did not understand. */
export const EXAMPLE_REQUESTS: readonly string[] = FALLBACK_EXAMPLES;

export function notUnderstood(): string {
  return helpNotUnderstood();
}

export function emptyRequest(): string {
  return helpNotUnderstood('Your message is empty.');
}

export function tooLong(length: number): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  return helpNotUnderstood(
    `That message is ${n(length)} characters long, too long for me: I read at most ${n(MAX_REQUEST_CHARS)}. Please send one short request.`,
  );
}

/** The "not understood" answer led by why: how to ask for the tool the request was about. */
export function cannotRead(answer: string): string {
  return helpNotUnderstood(answer);
}

/**
 * One part of a message asked for what gpuops cannot do as said, so none of it ran: that part's
 * answer, and the parts it did understand, to ask for on their own.
 */
export function cannotDoPart(answer: string, understood: readonly string[]): string {
  const rest = understood.map((clause) => `"${clause}"`).join(' and ');
  return helpNotUnderstood(`${answer} Nothing was done; to go ahead without it, say ${rest}.`);
}

/** What gpuops has no tool for yet, and what comes closest today. */
export type MissingCapability = 'endpoints';

const MISSING: Readonly<Record<MissingCapability, string>> = {
  endpoints:
    'gpuops can\'t serve models behind an endpoint yet (an API for a model); you can ask which GPU fits ("what GPU do I need to serve Llama 3 8B?") and deploy one with the vLLM image ("deploy a 4090 with vllm")',
};

export function cannotYet(capability: MissingCapability): string {
  return helpNotUnderstood(`${MISSING[capability]}; what it can do:`);
}
