import { cancelled } from './cancelled.ts';
import { checked } from './checked-calls.ts';
import { extract } from './extract.ts';
import type { Plan } from './types.ts';
import { UnreadText } from './unread-text.ts';

/**
 * Failover phrasings: "failover i-3", "fail i-3 over", "i-3 died, move it", "migrate i-2 to a new
 * gpu", "move i-3 to an A100 under $1.50", "recover i-3". Read only when the request names exactly
 * one instance and a failover verb; the GPU and price come from the planner's own extractors, so
 * "migrate i-2 to a 5090" moves it to that GPU and an unreadable price is refused, not guessed.
 */

const FAILOVER_VERB =
  /\b(?:fail\s*-?\s*(?:over|back)|failover|failback|fail\s+(?:it|i-\d+|instance\s+i-\d+)\s+(?:over|back)|migrate|relocate|recover|move|transfer|replace)\b/i;

/** "move i-3" needs somewhere to go, so "move" alone does not count: "move i-3 to ...", "move it". */
const MOVE_ALONE = /^(?:move|transfer|replace)$/i;
const DESTINATION =
  /\b(?:back\s+)?(?:to|onto|on\s+to|over\s+to)\s+(?:a\s+|an\s+|another\s+|some\s+|the\s+)?(?:new|different|other|fresh|healthy|working)?\s*(?:gpu|machine|host|box|server|instance|node|one|card)s?\b/i;
const LOST =
  /\b(?:died|dead|down|gone|lost|crashed|broke(?:n)?|offline|unreachable|failed|failing|unresponsive)\b/i;
const NEGATED =
  /\b(?:don'?t|do\s+not|never|no\s+need\s+to|shouldn'?t|won'?t)\s+(?:\w+\s+)?(?:fail|migrate|move|recover|replace)/i;

/** "enable auto-failover for i-3", "turn off automatic failover on i-3", "fail i-3 over automatically". */
const AUTO =
  /\b(?:auto(?:matic(?:ally)?)?[\s-]*fail[\s-]*over|fail(?:[\s-]*over)?\s+(?:\S+\s+){0,3}?(?:over\s+)?automatically)\b/i;
const AUTO_OFF = /\b(?:disable|turn\s+off|switch\s+off|stop|no\s+more|off|remove|cancel|without)\b/i;

/** failover: "failover i-3", "i-3 died, move it", "move i-3 to an A100 under $1.50". */
export function readFailover(text: string): Plan | undefined {
  // "fail i-3 over automatically" sets auto_failover, read by its own declaration.
  if (AUTO.test(text)) return undefined;
  const verb = FAILOVER_VERB.exec(text);
  if (!verb) return undefined;
  const word = verb[0].replace(/\s+/g, ' ');
  if (NEGATED.test(text)) return { kind: 'unknown', message: cancelled(word) };
  const unread = new UnreadText(text);
  const found = extract(unread);
  if (found.instances.length === 0) return undefined;
  // "move i-3" alone could mean many things; with a destination ("to a new gpu", "to an A100") or
  // after saying it died ("i-3 died, move it") it is a failover.
  if (MOVE_ALONE.test(word) && !DESTINATION.test(text) && !LOST.test(text) && found.gpus.length === 0) {
    return undefined;
  }
  const problem = found.problems.find((p) => p.field === 'price' || p.field === 'instance');
  if (problem) return { kind: 'clarify', message: problem.message };
  if (found.unknownGpus.length > 0 && found.gpus.length === 0) {
    // The tool refuses it with suggestions, which says more than the planner can.
    return failovers(found.instances, { gpu: found.unknownGpus[0]! });
  }
  if (found.gpus.length > 1) {
    return {
      kind: 'clarify',
      message: `Which GPU should ${found.instances.join(' and ')} move to: ${found.gpus.map((g) => g.displayName).join(' or ')}?`,
    };
  }
  if (found.maxPrice !== undefined && found.priceIsTotal) {
    return {
      kind: 'clarify',
      message: `For a failover give the highest price per GPU per hour, e.g. "failover ${found.instances[0]} under $0.60 per GPU".`,
    };
  }
  return failovers(found.instances, {
    ...(found.gpus[0] && { gpu: found.gpus[0].displayName }),
    ...(found.maxPrice !== undefined && { max_price_per_gpu_hour: found.maxPrice }),
  });
}

/** One failover call per instance named ("fail over i-3 and i-4"), each checked against the schema. */
function failovers(instances: readonly string[], args: Record<string, unknown>): Plan {
  const calls = [];
  for (const instance of instances) {
    const plan = checked({ tool: 'failover', args: { instance, ...args } });
    if (plan.kind !== 'calls') return plan;
    calls.push(...plan.calls);
  }
  return { kind: 'calls', calls };
}

/** auto_failover: "enable auto-failover for i-3", "turn off automatic failover on i-3". */
export function readAutoFailover(text: string): Plan | undefined {
  if (!AUTO.test(text)) return undefined;
  const found = extract(new UnreadText(text));
  if (found.instances.length === 0) return undefined;
  const enabled = !AUTO_OFF.test(text);
  const calls = [];
  for (const instance of found.instances) {
    const plan = checked({ tool: 'auto_failover', args: { instance, enabled } });
    if (plan.kind !== 'calls') return plan;
    calls.push(...plan.calls);
  }
  return { kind: 'calls', calls };
}
