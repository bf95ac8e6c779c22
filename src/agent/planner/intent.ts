import type { Unread } from '../../tools/declarations/tool-declaration.ts';
import type { PlannerDeclaration, Reading } from './declaration.ts';
import { DECLARED } from './declarations/index.ts';
import { NOT_YET } from './missing-capabilities.ts';
import { hasSlot } from './slots.ts';
import type { Extraction } from './types.ts';

/**
 * Picks the tool a request is for, by scoring every declaration that has a reading on the same
 * request: the acts and objects it declares that the text says, and the slots the extractors found
 * ("i-3" points at the instance actions, "4090" at search and deploy, "200 GB disk" at deploy).
 * The highest score of at least THRESHOLD wins, a tie going to the least costly tool. Tools that
 * spend money or change machines also need one of their own acts: "4090 with pytorch" searches,
 * it never rents. Nothing here names a tool: adding one is adding its declaration.
 */

export type ScoredDeclaration = PlannerDeclaration & {
  readonly reading: Reading;
};

export type Verdict =
  /**
   * `unread`: how to ask for the tools whose words the request said, if this one cannot build it.
   * `slotsOnly`: no act or object of the tool was said, only values it takes ("i-4 is dead").
   */
  | { kind: 'tool'; declaration: ScoredDeclaration; unread?: Unread; slotsOnly: boolean }
  | { kind: 'unsupported'; answer: string }
  | { kind: 'negated'; word: string }
  /** Two instance actions and no way to tell which instance each is for ("pause i-3 destroy i-4"). */
  | { kind: 'conflict'; verbs: string[] }
  | { kind: 'none' };

/** In the order ties are broken: what costs least if it is the wrong reading first. */
const SCORED: readonly ScoredDeclaration[] = DECLARED.filter(
  (d): d is ScoredDeclaration => d.reading !== undefined,
).sort((a, b) => a.reading.risk - b.reading.risk);

// Words of what gpuops does (or does not do yet) that no reading took: answered with how to ask
// for it rather than a guess at another kind of tool, when no tool scored more than this. A
// reading of a tool of the same kind (the same `can`) is not a guess: it is tried first.
interface DeclaredUnread {
  unread: Unread;
  /** What the declaring tool can do; undefined for what no tool does yet. */
  can?: string;
}
const UNREAD: readonly DeclaredUnread[] = [
  ...DECLARED.flatMap((d) => (d.unread ? [{ unread: d.unread, can: d.can }] : [])),
  ...NOT_YET.map((unread) => ({ unread })),
];
const UNSUPPORTED_WEIGHT = 6;

// "don't destroy i-3", "do not stop it": the verb after a negation does not count.
const NEGATION =
  /\b(?:don'?t|do\s+not|never|no\s+need\s+to|shouldn'?t|won'?t|please\s+don'?t)\s+(?:(?:just|ever|really|actually|yet|go\s+and|need\s+to)\s+)?([a-z-]+)/g;

/** A word a negation cancels: an act of a tool that needs its own act. */
const ACTION_VERB = new RegExp(
  `^(?:${SCORED.filter((d) => d.reading.needsAct)
    .flatMap((d) => d.reading.acts.map((act) => act.pattern.source))
    .join('|')})$`,
);

const THRESHOLD = 3;

export function classify(text: string, ex: Extraction): Verdict {
  let negatedWord: string | undefined;
  const scored = text.replace(NEGATION, (whole, verb: string) => {
    // Only actions are cancelled by a negation; "I don't know which GPU" still reads normally.
    if (!ACTION_VERB.test(verb)) return whole;
    negatedWord ??= verb;
    return whole.slice(0, whole.length - verb.length) + ' '.repeat(verb.length);
  });

  const scores = new Map<ScoredDeclaration, number>();
  const acted = new Set<ScoredDeclaration>();
  const cued = new Set<ScoredDeclaration>();
  for (const declaration of SCORED) {
    const { acts, objects, slots } = declaration.reading;
    let score = 0;
    for (const act of acts) {
      if (!act.pattern.test(scored)) continue;
      score += act.points;
      acted.add(declaration);
    }
    for (const object of objects) {
      if (!object.pattern.test(scored)) continue;
      score += object.points;
      if (object.points > 0) cued.add(declaration);
    }
    for (const cue of slots) {
      if (cue.notAfterNegation && negatedWord !== undefined) continue;
      if (cue.slots.some((slot) => hasSlot(ex, slot))) score += cue.points;
    }
    scores.set(declaration, score);
  }
  for (const declaration of SCORED) {
    const others = declaration.reading.yieldsTo ?? [];
    if ([...acted].some((d) => others.includes(d.tool))) scores.set(declaration, 0);
  }

  // Only tools the request could be for: "bring back snap-2 onto i-7" acts like a resume, but a
  // snapshot id leaves resume far below the threshold.
  const actions = SCORED.filter(
    (d) =>
      d.reading.needsAct &&
      d.reading.uses.includes('instance') &&
      acted.has(d) &&
      (scores.get(d) ?? 0) >= THRESHOLD,
  );
  if (actions.length > 1 && ex.instances.length > 0) {
    return { kind: 'conflict', verbs: actions.map((d) => d.reading.verb) };
  }

  let best: ScoredDeclaration | undefined;
  let bestScore = 0;
  for (const declaration of SCORED) {
    if (declaration.reading.needsAct && !acted.has(declaration)) continue;
    const score = scores.get(declaration) ?? 0;
    if (score >= THRESHOLD && (best === undefined || score > bestScore)) {
      best = declaration;
      bestScore = score;
    }
  }

  const unread = firstUnread(scored);
  const sameKind = unread?.can !== undefined && unread.can === best?.can;
  if (unread && !sameKind && (best === undefined || UNSUPPORTED_WEIGHT >= bestScore)) {
    return { kind: 'unsupported', answer: unread.unread.answer };
  }
  if (best !== undefined) {
    const slotsOnly = !acted.has(best) && !cued.has(best);
    return { kind: 'tool', declaration: best, slotsOnly, ...(unread && { unread: unread.unread }) };
  }
  if (negatedWord !== undefined) return { kind: 'negated', word: negatedWord };
  return { kind: 'none' };
}

/** The Unread whose words come first in the text. */
function firstUnread(text: string): DeclaredUnread | undefined {
  let first: { unread: DeclaredUnread; at: number } | undefined;
  for (const unread of UNREAD) {
    const at = text.search(unread.unread.words);
    if (at >= 0 && (first === undefined || at < first.at)) first = { unread, at };
  }
  return first?.unread;
}
