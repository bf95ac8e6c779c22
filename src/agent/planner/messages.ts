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

/**
 * What to say when a request is about something the planner could not read into a call. Words for
 * what gpuops does (snapshots, failover, advice) get how to ask for it; words for what it does not
 * do get that said plainly. Never "I can't <something it can do>".
 */
const TOPICS: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /snap|back|restore|checkpoint/,
    'I can\'t read that as a snapshot request. Snapshots work like "snapshot i-3", "restore snap-3 onto i-9", "list snapshots of i-3" or "snapshot i-3 every 6 hours".',
  ],
  [/fail|migrate/, 'I can\'t read that as a failover. Say e.g. "fail over i-3" or "migrate i-3 to an A100".'],
  [
    /clone|resize|upgrade|downgrade/,
    'gpuops can\'t clone or resize an instance yet; to move one to another GPU, fail it over ("migrate i-3 to an A100").',
  ],
  [
    /bill|invoice|spen/,
    'gpuops can\'t show billing or spend yet; "how much did auto-pause save this week?" shows what auto-pause saved.',
  ],
];
const ADVICE_HINT =
  'I can\'t tell which model that is about. For GPU advice, name it, e.g. "what GPU do I need to serve Llama 3.1 8B?", or ask `gpuops advise "<question>"`.';

export function unsupported(word: string): string {
  const topic = TOPICS.find(([pattern]) => pattern.test(word.toLowerCase()))?.[1] ?? ADVICE_HINT;
  return helpNotUnderstood(topic);
}

/** What gpuops has no tool for yet, and what comes closest today. */
export type MissingCapability = 'jobs' | 'endpoints';

const MISSING: Readonly<Record<MissingCapability, string>> = {
  jobs: 'gpuops can\'t run jobs yet (running a script or a training run on a machine, then stopping it); you can deploy the GPU ("deploy a 4090"), run it yourself over SSH ("status of i-3" shows how to connect), and pause or destroy it when done',
  endpoints:
    'gpuops can\'t serve models behind an endpoint yet (an API for a model); you can ask which GPU fits ("what GPU do I need to serve Llama 3 8B?") and deploy one with the vLLM image ("deploy a 4090 with vllm")',
};

export function cannotYet(capability: MissingCapability): string {
  return helpNotUnderstood(`${MISSING[capability]}; what it can do:`);
}
