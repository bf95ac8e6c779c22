import { planRequest } from '../../../../src/agent/planner/index.ts';
import { HELD_OUT, type HeldOut } from './phrasings.ts';

/** Whether the planner reads one held-out phrasing right; see phrasings.ts for the three kinds. */
export function readsRight(item: HeldOut): boolean {
  const plan = planRequest(item.text);
  if ('cannot' in item) return plan.kind === 'unknown' && /can't serve models/i.test(plan.message);
  if ('asks' in item) return plan.kind === 'clarify' && /^Which command should I run\?/.test(plan.message);
  if (plan.kind !== 'calls') return false;
  if ('tool' in item) return plan.calls.length === 1 && plan.calls[0]!.tool === item.tool;
  const key = (c: unknown): string =>
    JSON.stringify(c, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
    );
  const got = plan.calls.map(key).sort();
  const want = item.calls.map(key).sort();
  return got.length === want.length && got.every((c, i) => c === want[i]);
}

export function scoreHeldOut(): { right: number; total: number; wrong: string[] } {
  const wrong = HELD_OUT.filter((item) => !readsRight(item)).map((item) => item.text);
  return { right: HELD_OUT.length - wrong.length, total: HELD_OUT.length, wrong };
}

// `npx tsx tests/agent/planner/held-out/score.ts` prints the score.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { right, total, wrong } = scoreHeldOut();
  console.log(`${right}/${total}`);
  for (const text of wrong) console.log(`  ✗ ${text}`);
}
