import { GPU_CATALOG, type GpuModel, suggestGpus } from '../../cloud/gpu-catalog.ts';
import { FALLBACK_EXAMPLES, notUnderstood as helpNotUnderstood } from '../help.ts';
import { MAX_REQUEST_CHARS } from './clean-request.ts';
import type { Intent } from './types.ts';

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

export function negated(word: string): string {
  return `Okay, I won't ${word} anything. Try:\n${EXAMPLE_REQUESTS.map((e) => `• ${e}`).join('\n')}`;
}

export function conflictingActions(intents: readonly Intent[]): string {
  const verbs = intents.map((i) => ACTION_WORDS[i]);
  return `I'm not sure which instance to ${listOr(verbs)}. Give each action its own ids, e.g. "${verbs[0]} i-3 and ${verbs[1] ?? verbs[0]} i-4".`;
}

const ACTION_WORDS: Record<Intent, string> = {
  pause: 'pause',
  resume: 'resume',
  destroy: 'destroy',
  status: 'status of',
  deploy: 'deploy',
  search: 'search',
  list: 'list',
};

export function missingInstance(intent: Intent): string {
  const verb = ACTION_WORDS[intent];
  const what = intent === 'status' ? 'Status of which instance?' : `${capitalise(verb)} which instance?`;
  return `${what} Give its id, e.g. "${verb} i-3" (several work too: "${verb} i-3 and i-4"). Say "list my instances" to see the ids.`;
}

// Models people rent most, offered when a deploy names none.
const POPULAR = ['rtx-4090', 'rtx-3090', 'a100-80gb', 'h100-sxm', 'l40s'];

export function missingGpu(minGpuRamGb: number | undefined): string {
  const models =
    minGpuRamGb === undefined
      ? POPULAR.map((id) => GPU_CATALOG.find((m) => m.id === id)).filter(
          (m): m is GpuModel => m !== undefined,
        )
      : GPU_CATALOG.filter((m) => m.vramGb >= minGpuRamGb)
          .sort((a, b) => a.typicalPricePerHour - b.typicalPricePerHour)
          .slice(0, 5);
  const names = models.map((m) => m.displayName);
  const choice = names.length > 0 ? ` For example ${listOr(names)}.` : '';
  return `Which GPU should I deploy?${choice} Say e.g. "deploy a 4090 under $0.50/hr".`;
}

export function unknownGpu(written: string, intent: Intent): string {
  const suggestions = suggestGpus(written).map((m) => m.displayName);
  const verb = intent === 'deploy' ? 'deploy' : 'find offers for';
  const hint = suggestions.length > 0 ? ` Did you mean ${listOr(suggestions)}?` : '';
  return `I don't know the GPU "${written}", so I can't ${verb} it.${hint}`;
}

export function severalGpusForDeploy(models: readonly GpuModel[]): string {
  return `One deploy rents one GPU model, and you named ${listAnd(models.map((m) => m.displayName))}. Which one? e.g. "deploy one ${models[0]?.displayName ?? 'RTX 4090'}", then ask again for the other.`;
}

export function notEnoughMemory(model: GpuModel, wantedGb: number): string {
  const bigger = GPU_CATALOG.filter((m) => m.vramGb >= wantedGb)
    .sort((a, b) => a.typicalPricePerHour - b.typicalPricePerHour)
    .slice(0, 3)
    .map((m) => m.displayName);
  const hint = bigger.length > 0 ? ` GPUs with at least ${wantedGb} GB include ${listAnd(bigger)}.` : '';
  return `The ${model.displayName} has ${model.vramGb} GB of memory, less than the ${wantedGb} GB you asked for.${hint}`;
}

function listOr(items: readonly string[]): string {
  return joinWith(items, 'or');
}

function listAnd(items: readonly string[]): string {
  return joinWith(items, 'and');
}

function joinWith(items: readonly string[], word: string): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
