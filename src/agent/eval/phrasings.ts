import { DECLARED, type Phrasing } from '../../tools/declarations/index.ts';

/**
 * Everyday phrasings and the exact tool calls each must become: the offline planner's table
 * (tests/agent/planner/plan-table.test.ts holds it to them) and the default set of `gpuops eval`, which
 * scores any model against it. Each tool's declaration holds its own; a user's own file adds to
 * them or replaces them.
 */

export type { Phrasing } from '../../tools/declarations/index.ts';

export const PHRASINGS: readonly Phrasing[] = DECLARED.flatMap((declaration) => declaration.examples);
