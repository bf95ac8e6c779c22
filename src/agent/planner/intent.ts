import type { Extraction, Intent } from './types.ts';
import { GPU_MARK } from './unread-text.ts';

/**
 * Intent classification by keyword scoring. Each cue (a verb or phrase) adds points to the
 * intents it suggests; what the extractors found adds more ("i-3" points at the instance actions,
 * "4090" at search and deploy, "200 GB disk" at deploy). The highest score wins, with ties going
 * to the least costly intent. Actions that spend money or change machines (deploy, pause, resume,
 * destroy) also need one of their own verbs: "4090 with pytorch" searches, it never rents.
 */

export type Verdict =
  | { kind: 'intent'; intent: Intent }
  | { kind: 'unsupported'; word: string }
  | { kind: 'negated'; word: string }
  /** Two instance actions and no way to tell which instance each is for ("pause i-3 destroy i-4"). */
  | { kind: 'conflict'; intents: Intent[] }
  | { kind: 'none' };

type Scores = Record<Intent, number>;

interface Cue {
  pattern: RegExp;
  scores: Partial<Scores>;
  /** The cue is a verb of these action intents. */
  verbOf?: readonly Intent[];
}

const DEPLOY_VERBS = String.raw`deploy|rent|provision|launch|(?<!\bin\s)order|spin\s+(?:\S+\s+)?up|fire\s+(?:\S+\s+)?up|boot\s+up|bring\s+up|set\s+up|allocate|reserve|lease|book|create|buy`;
const PAUSE_VERBS = String.raw`pause|stop|suspend|halt|hibernate|freeze|shut\s*(?:\S+\s+)?down|turn\s+(?:\S+\s+)?off|power\s+(?:\S+\s+)?off|put\s+(?:\S+\s+){0,3}to\s+sleep`;
const RESUME_VERBS = String.raw`resume|unpause|un-pause|unsuspend|restart|continue|wake(?:\s+(?:\S+\s+)?up)?|turn\s+(?:\S+\s+)?(?:back\s+)?on|power\s+(?:\S+\s+)?(?:back\s+)?on|bring\s+(?:\S+\s+)?back`;
const DESTROY_VERBS = String.raw`destroy|terminate|delete|kill|tear\s*(?:\S+\s+)?down|teardown|remove|nuke|get\s+rid\s+of|release|dispose\s+of|decommission|rm|trash|scrap`;

const CUES: readonly Cue[] = [
  { pattern: new RegExp(String.raw`\b(?:${DEPLOY_VERBS})\b`), scores: { deploy: 6 }, verbOf: ['deploy'] },
  // "start a 4090" deploys, "start i-3" resumes: the entities decide.
  { pattern: /\bstart\b/, scores: { deploy: 2, resume: 2 }, verbOf: ['deploy', 'resume'] },
  { pattern: /\b(?:get|give|grab)\s+(?:me|us)\b/, scores: { deploy: 3, search: 1 }, verbOf: ['deploy'] },
  {
    pattern: /\b(?:i|we)\s+(?:need|want|wanna|would\s+like)\b|\b(?:i'?d|we'?d)\s+like\b/,
    scores: { deploy: 2 },
    verbOf: ['deploy'],
  },
  { pattern: /\bnew\b/, scores: { deploy: 1 } },
  {
    pattern: /\b(?:search|find|browse|compare|shop|hunt|look(?:ing)?\s+(?:for|up))\b/,
    scores: { search: 4 },
  },
  {
    pattern:
      /\b(?:offers?|deals?|listings?|available|availability|options|prices?|pricing|market(?:place)?|quotes?|how\s+much|costs?|rates?)\b/,
    scores: { search: 4 },
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:what|which|any)\s+(?:kinds?\s+of\s+)?(?:${GPU_MARK}|gpus?|cards?|models?)`,
    ),
    scores: { search: 3 },
  },
  { pattern: /\b(?:gpus?|cards?)\b/, scores: { search: 1 } },
  { pattern: /\b(?:show|list|what|which|any|see|display)\b/, scores: { search: 1, list: 1 } },
  { pattern: new RegExp(String.raw`\b(?:${PAUSE_VERBS})\b`), scores: { pause: 5 }, verbOf: ['pause'] },
  { pattern: new RegExp(String.raw`\b(?:${RESUME_VERBS})\b`), scores: { resume: 5 }, verbOf: ['resume'] },
  { pattern: /\bstart\b[^.;]*\b(?:again|back)\b/, scores: { resume: 3 } },
  {
    pattern: /\b(?:spin|start|bring|boot|fire|power|get)\s+(?:\S+\s+)?back\s+(?:up|on|online)\b/,
    scores: { resume: 5 },
    verbOf: ['resume'],
  },
  { pattern: new RegExp(String.raw`\b(?:${DESTROY_VERBS})\b`), scores: { destroy: 5 }, verbOf: ['destroy'] },
  {
    pattern:
      /\b(?:my|our)\s+(?:\S+\s+)?(?:instances?|machines?|gpus?|servers?|box(?:es)?|rentals?|nodes?|vms?|pods?|fleet|rigs?)\b/,
    scores: { list: 5 },
  },
  { pattern: /\b(?:instances|machines|servers|rentals|fleet|vms|boxes)\b/, scores: { list: 2 } },
  {
    pattern:
      /\bwhat(?:'s|s|\s+is|\s+are)?\s+(?:currently\s+|still\s+|now\s+)?(?:running|up|active|live)\b|\bwhat\s+do\s+(?:i|we)\s+have\b|\banything\s+running\b|\bwhat\s+(?:am\s+i|are\s+we)\s+(?:running|paying\s+for|renting)\b/,
    scores: { list: 5 },
  },
  {
    pattern: /\b(?:running|stopped|paused|active|destroyed|terminated|deleted|all|everything)\b/,
    scores: { list: 1 },
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:list|show)\s+(?:me\s+)?(?:everything|all)\b(?!\s+(?:the\s+)?(?:offers?|deals|options|gpus?|cards?|${GPU_MARK}))`,
    ),
    scores: { list: 3 },
  },
  {
    pattern:
      /\b(?:status|state|details?|info|information|health|healthy|ssh|connect(?:ion)?|ip|address|logs?|doing|how(?:'s|s|\s+is|\s+are)|check(?:\s+on)?|inspect|describe|what'?s\s+up\s+with|tell\s+me\s+about|look\s+at)\b/,
    scores: { status: 3 },
  },
];

// Things people ask gpuops that the offline planner cannot turn into these tools.
const UNSUPPORTED =
  /\b(?:snapshots?|backups?|(?<!\b(?:spin|start|bring|boot|fire|power|get)\s+(?:\S+\s+)?)back\s+(?:\S+\s+)?up|restore|fail\s*over|failover|migrate|clone|resize|upgrade|downgrade|recommend\w*|suggest\w*|advise|advice|should\s+(?:i|we)|best\s+(?:gpu|card)\s+for|enough\s+(?:vram|memory)|fine-?tun\w*|serve\s+(?:a\s+|the\s+)?(?:model|llm|llama|mistral|qwen)|run\s+(?:a\s+|the\s+)?(?:model|llm|llama|mistral|qwen)|billing|invoices?|spen[dt]|bill)\b/;
const UNSUPPORTED_WEIGHT = 6;

// "don't destroy i-3", "do not stop it": the verb after a negation does not count.
const NEGATION =
  /\b(?:don'?t|do\s+not|never|no\s+need\s+to|shouldn'?t|won'?t|please\s+don'?t)\s+(?:(?:just|ever|really|actually|yet|go\s+and|need\s+to)\s+)?([a-z-]+)/g;

const ACTION_VERB = new RegExp(`^(?:${DEPLOY_VERBS}|${PAUSE_VERBS}|${RESUME_VERBS}|${DESTROY_VERBS}|start)$`);

const ACTION_INTENTS: readonly Intent[] = ['deploy', 'pause', 'resume', 'destroy'];
// Ties go to the intent that costs least if it is wrong.
const PRIORITY: readonly Intent[] = ['status', 'list', 'search', 'pause', 'resume', 'deploy', 'destroy'];
const THRESHOLD = 3;

export function classify(text: string, ex: Extraction): Verdict {
  let negatedWord: string | undefined;
  const scored = text.replace(NEGATION, (whole, verb: string) => {
    // Only actions are cancelled by a negation; "I don't know which GPU" still reads normally.
    if (!ACTION_VERB.test(verb)) return whole;
    negatedWord ??= verb;
    return whole.slice(0, whole.length - verb.length) + ' '.repeat(verb.length);
  });

  const scores: Scores = { search: 0, deploy: 0, pause: 0, resume: 0, destroy: 0, list: 0, status: 0 };
  const verbs = new Set<Intent>();
  for (const cue of CUES) {
    if (!cue.pattern.test(scored)) continue;
    for (const [intent, points] of Object.entries(cue.scores) as [Intent, number][]) scores[intent] += points;
    for (const intent of cue.verbOf ?? []) verbs.add(intent);
  }
  addEntityScores(scores, ex, negatedWord !== undefined);
  // "pause all my instances" names instances but asks for an action, never for the list.
  if (verbs.has('pause') || verbs.has('resume') || verbs.has('destroy')) scores.list = 0;

  const actions = (['pause', 'resume', 'destroy'] as const).filter((intent) => verbs.has(intent));
  if (actions.length > 1 && ex.instances.length > 0) return { kind: 'conflict', intents: actions };

  let best: Intent | undefined;
  for (const intent of PRIORITY) {
    if (ACTION_INTENTS.includes(intent) && !verbs.has(intent)) continue;
    if (scores[intent] >= THRESHOLD && (best === undefined || scores[intent] > scores[best])) best = intent;
  }

  const unsupported = UNSUPPORTED.exec(scored);
  if (unsupported && (best === undefined || UNSUPPORTED_WEIGHT >= scores[best])) {
    return { kind: 'unsupported', word: unsupported[0] };
  }
  if (best !== undefined) return { kind: 'intent', intent: best };
  if (negatedWord !== undefined) return { kind: 'negated', word: negatedWord };
  return { kind: 'none' };
}

function addEntityScores(scores: Scores, ex: Extraction, negated: boolean): void {
  // An id that could not be read ("i-1.5") still says the request is about an instance.
  if (ex.instances.length > 0 || ex.problems.some((p) => p.field === 'instance')) {
    scores.pause += 3;
    scores.resume += 3;
    scores.destroy += 3;
    // After "don't destroy i-3" the id alone must not turn into a status call.
    if (!negated) scores.status += 3;
    scores.list -= 4;
    scores.deploy -= 4;
    scores.search -= 4;
  }
  if (ex.gpus.length > 0 || ex.unknownGpus.length > 0) {
    scores.search += 3;
    scores.deploy += 2;
  }
  if (ex.order !== undefined || ex.limit !== undefined || ex.minGpuRamGb !== undefined) scores.search += 2;
  const shared = [ex.maxPrice, ex.count, ex.region, ex.minReliability].filter((v) => v !== undefined).length;
  scores.search += shared;
  scores.deploy += shared;
  if (ex.image !== undefined || ex.diskGb !== undefined) scores.deploy += 2;
}
