import { buildPlan } from './build.ts';
import { cancelled } from './cancelled.ts';
import { cleanRequest, MAX_REQUEST_CHARS } from './clean-request.ts';
import type { PlannerDeclaration, WholeRequest } from './declaration.ts';
import { DECLARED } from './declarations/index.ts';
import { extract } from './extract.ts';
import { withInstanceIdsWritten } from './extract-instances.ts';
import { classify, type ScoredDeclaration } from './intent.ts';
import * as say from './messages.ts';
import { NOT_YET_CLAUSE_WORDS, planMissingCapability } from './missing-capabilities.ts';
import { conflictingActions } from './questions.ts';
import type { Extraction, Plan } from './types.ts';
import { UnreadText } from './unread-text.ts';

/**
 * The offline planner: turns an everyday request ("deploy two 4090s under $0.45/hr with the
 * pytorch image", "pause i-3 and i-4") into the same typed tool calls the LLM agent makes, when no
 * LLM is configured. Small extractors pull out prices, counts, GPUs, regions, images, disks,
 * instance and snapshot ids, names and offer filters; each tool's declared reading is scored on
 * them and the best builds the calls; a few tools read shapes the slots cannot say yet (schedules,
 * idle spans) from the whole request, as they declare. Every call is checked against its tool's zod
 * schema before it is returned.
 */

export { EXAMPLE_REQUESTS } from './messages.ts';
export type { Extraction, Plan } from './types.ts';

const HELP =
  /^(?:help|h|\?+|commands|usage|menu|about|info|what\s+can\s+(?:you|i)\s+(?:do|say|ask)|what\s+do\s+you\s+do|how\s+does\s+(?:this|it)\s+work|how\s+do\s+i\s+use\s+(?:this|you|it|gpuops)|what\s+are\s+(?:the|your)\s+commands|(?:show\s+(?:me\s+)?(?:the\s+)?)?(?:help|commands)|(?:please\s+)?help(?:\s+me)?(?:\s+please)?|can\s+you\s+help(?:\s+me)?|who\s+are\s+you|what\s+are\s+you)$/;

// A verb that starts a second request in the same message ("stop i-3 and destroy i-4"), as the
// tools declare them, and the verbs of what no tool does yet ("pause i-3 and clone i-4").
const CLAUSE_VERB = String.raw`(?:${[
  ...DECLARED.flatMap((d) => (d.clauseWords === undefined ? [] : [d.clauseWords])),
  NOT_YET_CLAUSE_WORDS,
].join('|')})\b`;
// A break only counts where the next words start a request of their own, so "deploy a 4090.
// With pytorch." stays one request while "pause i-3. Destroy i-4." is two.
const NEXT_REQUEST = String.raw`(?=(?:(?:please|also|then|and|just|now|can\s+you|could\s+you)\s+)*${CLAUSE_VERB})`;
const CLAUSE_BREAK = new RegExp(
  String.raw`\s*(?:[;\n]|[.!?]\s+|,|\s(?:and\s+then|and\s+also|then|and|also|plus|but)\s)\s*${NEXT_REQUEST}`,
  'i',
);
/** Declarations that read whole requests, in the order they are tried. */
const READ_WHOLE = DECLARED.filter(
  (d): d is PlannerDeclaration & { whole: WholeRequest } => d.whole !== undefined,
).sort((a, b) => a.whole.order - b.whole.order);
/** Those that read the message as typed, before anything else: a command is taken exactly as written. */
const AS_TYPED = READ_WHOLE.filter((d) => d.whole.asTyped);
const WHOLE = READ_WHOLE.filter((d) => !d.whole.asTyped);

// "could you", "would you please", "hey,": how a request is asked, not what it asks for.
const COURTESY =
  /^(?:(?:please|pls|hey|hi|hello|ok|okay|so|(?:can|could|would|will)\s+(?:you|u)(?:\s+please)?)[\s,]+)+/i;

const CLAUSE_BREAKS = new RegExp(CLAUSE_BREAK.source, 'gi');
const BARE_VERB = new RegExp(`^${CLAUSE_VERB}$`, 'i');

export function planRequest(text: string): Plan {
  if (typeof text !== 'string') return { kind: 'unknown', message: say.emptyRequest() };
  const trimmed = text.trim();
  if (trimmed.length > MAX_REQUEST_CHARS) return { kind: 'unknown', message: say.tooLong(trimmed.length) };
  const cleaned = cleanRequest(trimmed);
  if (cleaned === '') return { kind: 'unknown', message: say.emptyRequest() };
  if (isHelp(cleaned)) return { kind: 'help' };
  for (const declaration of AS_TYPED) {
    const plan = declaration.whole.read(trimmed);
    if (plan) return plan;
  }
  const missing = planMissingCapability(cleaned);
  if (missing) return missing;
  const clauses = clausesOf(cleaned);
  // Every clause understood: "pause i-3 and snapshot i-4" is two requests, even where one tool's
  // reader would take in the whole message ("hibernate i-3 and resume i-4").
  const split = clauses && planClauses(clauses, 'every clause');
  if (split) return split;
  const whole = readWhole(cleaned);
  if (whole) return whole;
  const combined = clauses && planClauses(clauses, 'any clause');
  if (combined) return combined;
  const plan = scoreClause(cleaned).plan;
  // "help with deploying" and the like: better the help text than "I didn't understand".
  if (plan.kind === 'unknown' && /^help\b/i.test(cleaned)) return { kind: 'help' };
  return plan;
}

function isHelp(text: string): boolean {
  const lower = text.toLowerCase();
  if (/^\?+$/.test(lower)) return true;
  return HELP.test(
    lower
      .replace(/[!.,?]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

interface ClausePlan {
  plan: Plan;
  extraction: Extraction;
  /** How to ask for what the clause wanted, when it named something gpuops cannot do as said. */
  cannot?: string;
  /** Said only what the next clause is about, no act or object ("i-4 is dead, fail it over"). */
  context?: boolean;
}

/**
 * Shapes the shared slots cannot say yet ("snapshot i-3 every hour", "pause i-3 when idle for 15
 * minutes"), read by the tools that declare them, each only for text that is wholly its own.
 */
function readWhole(text: string, previous?: Extraction): Plan | undefined {
  // Readers of a whole request read a question as the command it asks for ("could you ...?").
  const written = withInstanceIdsWritten(text)
    .replace(COURTESY, '')
    .replace(/\s*\?+\s*$/, '');
  for (const declaration of WHOLE) {
    if (previous && declaration.whole.pronounsPointBack) continue;
    const plan = declaration.whole.read(written);
    if (plan) return plan;
  }
  return undefined;
}

/**
 * The clauses of a message that holds several requests ("stop i-3 and destroy i-4"); undefined
 * for one request. "find and deploy a 4090" is one request with two verbs sharing an object, not
 * a bare "find" plus a deploy; a bare verb at the end ("pause i-3 and deploy") is a request of its own.
 */
function clausesOf(text: string): string[] | undefined {
  if (!CLAUSE_BREAK.test(text)) return undefined;
  const clauses = text
    .split(CLAUSE_BREAKS)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (clauses.length < 2 || clauses.slice(0, -1).some((c) => BARE_VERB.test(c))) return undefined;
  return clauses;
}

// "it", "them", "both" in a later clause: what the clause before named.
const PRONOUN = /\b(?:it|them|both|that\s+one|those|these)\b/i;

function planClause(text: string, previous?: Extraction): ClausePlan {
  const named = previous?.instances ?? [];
  // A tool read whole takes ids in its own words, so "pause i-3 then snapshot it" is read as
  // "snapshot i-3".
  const resolved =
    named.length > 0 && PRONOUN.test(text) && !/\bi-\d+/i.test(text)
      ? text.replace(PRONOUN, named.join(' and '))
      : text;
  const whole = readWhole(resolved, previous);
  // Even a clause read whole names what the next one is about ("back up i-3, then destroy it").
  if (whole) return { plan: whole, extraction: extract(new UnreadText(text)) };
  return scoreClause(text, previous);
}

function scoreClause(text: string, previous?: Extraction): ClausePlan {
  const unread = new UnreadText(text);
  const extraction = extract(unread);
  const verdict = classify(unread.text, extraction);
  switch (verdict.kind) {
    case 'tool': {
      if (previous) inherit(verdict.declaration, extraction, previous);
      const answer = verdict.unread?.answer;
      const plan = buildPlan(
        verdict.declaration,
        extraction,
        unread.text,
        answer === undefined ? undefined : say.cannotRead(answer),
      );
      // A tool of the kind the request is about that cannot read it says how to ask for it.
      if (plan.kind === 'unknown' && answer !== undefined) return { plan, extraction, cannot: answer };
      return { plan, extraction, ...(verdict.slotsOnly && { context: true }) };
    }
    case 'unsupported':
      return {
        plan: { kind: 'unknown', message: say.cannotRead(verdict.answer) },
        extraction,
        cannot: verdict.answer,
      };
    case 'negated':
      return { plan: { kind: 'unknown', message: cancelled(verdict.word) }, extraction };
    case 'conflict':
      return { plan: { kind: 'clarify', message: conflictingActions(verdict.verbs) }, extraction };
    case 'none':
      return { plan: { kind: 'unknown', message: say.notUnderstood() }, extraction };
  }
}

/**
 * "stop i-3 and then destroy it", "find a 4090 and deploy it", "cancel j-4 and rerun it": a later
 * clause that needs ids or a GPU and names none is about the ones the clause before named.
 */
function inherit(declaration: ScoredDeclaration, extraction: Extraction, previous: Extraction): void {
  const borrows = declaration.reading.inherits;
  if (borrows === 'instances' && extraction.instances.length === 0) {
    extraction.instances.push(...previous.instances);
  }
  if (borrows === 'gpus' && extraction.gpus.length === 0 && extraction.unknownGpus.length === 0) {
    extraction.gpus.push(...previous.gpus);
  }
  if (borrows === 'jobs' && extraction.jobs.length === 0) extraction.jobs.push(...previous.jobs);
}

/**
 * Plans each clause of a compound request. With 'any clause', clauses that say nothing ("thanks")
 * are dropped; with 'every clause', one not understood makes the whole split undefined. A clause
 * that asks for what gpuops cannot do as said ("clone i-4") is never dropped: what it cannot do is
 * the answer, and nothing runs. If any clause needs a question, that question is the answer, so
 * nothing runs half-understood. Returns undefined when no clause was understood, to let the whole
 * text be read as one request.
 */
function planClauses(clauses: readonly string[], needs: 'every clause' | 'any clause'): Plan | undefined {
  const plans: Plan[] = [];
  const understood: string[] = [];
  let cannot: string | undefined;
  let previous: Extraction | undefined;
  for (const clause of clauses) {
    const result = planClause(clause, previous);
    // "i-4 is dead, fail it over": the first clause is not a status request, it names the instance.
    if (result.context && clauses.length > 1) {
      previous = result.extraction;
      continue;
    }
    cannot ??= result.cannot;
    if (result.plan.kind === 'unknown' && needs === 'every clause' && !result.cannot) return undefined;
    if (result.plan.kind !== 'unknown') {
      plans.push(result.plan);
      understood.push(clause);
    }
    // Even a clause that did nothing ("don't destroy i-3") names what the next one is about.
    if (
      result.extraction.instances.length > 0 ||
      result.extraction.gpus.length > 0 ||
      result.extraction.jobs.length > 0
    )
      previous = result.extraction;
  }
  if (cannot !== undefined && plans.length > 0) {
    return { kind: 'unknown', message: say.cannotDoPart(cannot, understood) };
  }
  if (cannot !== undefined) return { kind: 'unknown', message: say.cannotRead(cannot) };
  const question = plans.find((p) => p.kind !== 'calls');
  if (question) return question;
  const calls = plans.flatMap((p) => (p.kind === 'calls' ? p.calls : []));
  if (calls.length === 0) return undefined;
  const seen = new Set<string>();
  const unique = calls.filter((c) => {
    const key = JSON.stringify(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { kind: 'calls', calls: unique };
}
