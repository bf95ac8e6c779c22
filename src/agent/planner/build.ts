import type { ScoredDeclaration } from './intent.ts';
import * as say from './messages.ts';
import type { Extraction, Plan } from './types.ts';

/**
 * Builds the chosen tool's calls through its declaration, or the question to ask instead. When the
 * tool cannot build them after all, `otherwise` answers: how to ask for it, or "not understood".
 */
export function buildPlan(
  declaration: ScoredDeclaration,
  ex: Extraction,
  text: string,
  otherwise: string = say.notUnderstood(),
): Plan {
  const { reading } = declaration;
  // A tool that takes each place of "APAC" in turn is not asked which one.
  const eachPlace = reading.takesEachPlace ? ex.regionChoices?.problem : undefined;
  const problem = ex.problems.find((p) => reading.uses.includes(p.field) && p !== eachPlace);
  if (problem) return { kind: 'clarify', message: problem.message };
  return reading.build(ex, text) ?? { kind: 'unknown', message: otherwise };
}
