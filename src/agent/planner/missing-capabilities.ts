import type { Unread } from './declaration.ts';
import { cannotYet, type MissingCapability } from './messages.ts';
import type { Plan } from './types.ts';

/**
 * Requests for what gpuops has no tool for yet: running a job or a script, and serving a model
 * behind an endpoint. Read before every tool's phrasings, so "run train.py on a 4090 and shut it
 * down after" is answered plainly rather than read as a pause, and only for requests to do them:
 * "what GPU do I need to serve Llama 3 8B?" asks for advice, which gpuops gives.
 */

// A question about a GPU or a need ("what do I need", "can a 4090 run it"), not a request to act.
const QUESTION =
  /^(?:what|which|how|why|is|are|does|should|will|(?:can|could|would)\s+(?:an?|the|my|one|two)\b|do\s+(?:i|we)\s+need)\b/i;

const JOB_NOUN = String.raw`(?:[\w./-]+\.(?:py|sh|ipynb|jl|r|js|ts)\b|(?:training\s+)?scripts?\b|jobs?\b|training(?:\s+runs?)?\b|notebooks?\b|experiments?\b|benchmarks?\b|commands?\b|programs?\b|pipelines?\b|workloads?\b)`;
const JOB: readonly RegExp[] = [
  new RegExp(
    String.raw`\b(?:run|execute|launch|start|kick\s+off|submit|queue|schedule)\s+(?:\S+\s+){0,3}?${JOB_NOUN}`,
    'i',
  ),
  /\b(?:python3?|bash|torchrun|deepspeed|accelerate\s+launch)\s+[\w./-]+\.(?:py|sh)\b/i,
  // "train on a 4090 then stop": training, then the machine stopped, is a job.
  /\btrain(?:ing)?\b.*\b(?:then|and|after(?:wards)?)\b.*\b(?:stop|shut|pause|destroy|kill|tear|turn\s+(?:it\s+)?off)\w*/i,
];

const ENDPOINT_NOUN =
  /\b(?:endpoints?|apis?|urls?|openai[\s-]*compatible|(?:inference|model|vllm|llm)\s+servers?)\b/i;
const SERVING =
  /\b(?:serv(?:e|ing)|host(?:ing)?|expose|behind|endpoints?|give\s+(?:me|us)|set\s+up|stand\s+up|deploy)\b/i;

export function planMissingCapability(text: string): Plan | undefined {
  if (QUESTION.test(text.trim())) return undefined;
  const missing: MissingCapability | undefined =
    ENDPOINT_NOUN.test(text) && SERVING.test(text)
      ? 'endpoints'
      : JOB.some((pattern) => pattern.test(text))
        ? 'jobs'
        : undefined;
  return missing && { kind: 'unknown', message: cannotYet(missing) };
}

// Verbs of an act no tool does yet. They also start a request of their own inside a longer
// message, so "pause i-3 and clone i-4" is two requests, one of them answered plainly.
const CLONE_VERBS = 'clone|duplicate|replicate|resize|upgrade|downgrade';
export const NOT_YET_CLAUSE_WORDS = CLONE_VERBS;

/** Words for what no tool does yet, and the plain answer, for requests no tool's reading took. */
export const NOT_YET: readonly Unread[] = [
  {
    words: new RegExp(String.raw`\b(?:${CLONE_VERBS})\b`),
    answer:
      'gpuops can\'t clone or resize an instance yet; to copy one, snapshot it and restore that snapshot onto a new instance ("snapshot i-3", then "restore snap-7 on a 4090"); to move one to another GPU, fail it over ("migrate i-3 to an A100").',
  },
  {
    words: /\b(?:billing|invoices?|spen[dt]|bill)\b/,
    answer:
      'gpuops can\'t show billing or spend yet; "how much did auto-pause save this week?" shows what auto-pause saved.',
  },
];
