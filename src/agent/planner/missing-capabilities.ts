import type { Unread } from '../../tools/declarations/tool-declaration.ts';
import { cannotYet } from './messages.ts';
import type { Plan } from './types.ts';

/**
 * Requests for what gpuops has no tool for yet: serving a model behind an endpoint (issue #19).
 * Read before every tool's phrasings but the job readers (a command to run may name a server), so
 * "serve llama 3 8b with vLLM" is answered plainly rather than read as a deploy, and only for
 * requests to do it: "what GPU do I need to serve Llama 3 8B?" asks for advice, which gpuops gives.
 */

// A question about a GPU or a need ("what do I need", "can a 4090 run it"), not a request to act.
const QUESTION =
  /^(?:what|which|how|why|is|are|does|should|will|(?:can|could|would)\s+(?:an?|the|my|one|two)\b|do\s+(?:i|we)\s+need)\b/i;
// "I want to serve llama with vLLM, which GPU?": a question asked after the request it is about.
const ASKS_WHICH_GPU =
  /\b(?:which|what)\s+(?:kind\s+of\s+)?(?:gpus?|cards?|hardware|machines?|setup)\b|\bhow\s+(?:much|many)\s+(?:vram|memory|gpus?)\b/i;
const ON_AN_INSTANCE = String.raw`\b(?:on|in|onto|inside)\s+(?:instance\s+)?i-\d+\b`;

const ENDPOINT_NOUN =
  /\b(?:endpoints?|apis?|urls?|openai[\s-]*compatible|(?:inference|model|vllm|llm|tgi|ollama)\s+servers?)\b/i;
const SERVING =
  /\b(?:serv(?:e|ing)|host(?:ing)?|expose|behind|endpoints?|give\s+(?:me|us)|set\s+up|stand\s+up|spin\s+up|bring\s+up|start|launch|run|deploy|put)\b/i;
/** The serving engines people name when they want a model served, not a GPU chosen. */
const SERVING_ENGINE =
  /\b(?:vllm|tgi|text[\s-]generation[\s-]inference|ollama|sglang|triton|llama\.?cpp|tensorrt[\s-]?llm|lmdeploy)\b/i;
const SERVE_VERB = /\b(?:serv(?:e|ing)|host(?:ing)?|expose)\b/i;
// "serve llama 3 8b with vLLM", "host mistral on i-3", "start serving qwen": to serve, not to ask
// which GPU; a bare "serve llama 3 8b for 8 users" stays a sizing question for the advisor.
const SERVE_REQUEST: readonly RegExp[] = [
  new RegExp(String.raw`${SERVE_VERB.source}[\s\S]*(?:${SERVING_ENGINE.source}|${ON_AN_INSTANCE})`, 'i'),
  new RegExp(String.raw`(?:${SERVING_ENGINE.source}|${ON_AN_INSTANCE})[\s\S]*${SERVE_VERB.source}`, 'i'),
  /\b(?:start|begin|keep)\s+(?:serving|hosting)\b/i,
  /\bput\s+(?:\S+\s+){1,5}?behind\s+(?:an?\s+)?(?:vllm|tgi|ollama|sglang|api|endpoint)\b/i,
];

export function planMissingCapability(text: string): Plan | undefined {
  const trimmed = text.trim();
  if (QUESTION.test(trimmed) || ASKS_WHICH_GPU.test(trimmed)) return undefined;
  const serving =
    (ENDPOINT_NOUN.test(trimmed) && SERVING.test(trimmed)) || SERVE_REQUEST.some((p) => p.test(trimmed));
  return serving ? { kind: 'unknown', message: cannotYet('endpoints') } : undefined;
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
