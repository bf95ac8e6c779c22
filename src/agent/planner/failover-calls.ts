import { checkedCalls } from './checked-calls.ts';
import type { Extraction, Plan } from './types.ts';
import { GPU_MARK } from './unread-text.ts';

/**
 * How people ask for a failover and for automatic failover, read by those tools' declarations:
 * "failover i-3", "fail i-3 over", "i-3 died, move it", "migrate i-2 to a new gpu", "move i-3 to
 * an A100 under $1.50", "recover i-3"; "enable auto-failover for i-3". The GPU and price come from
 * the shared extractors, so "migrate i-2 to a 5090" moves it to that GPU and an unreadable price
 * is refused, not guessed.
 */

/** Verbs that mean a failover on their own. "fail i-3 over" reads "fail      over" once the id is taken. */
export const FAILOVER_VERBS =
  /\b(?:fail\s*-?\s*(?:over|back)|failover|failback|fail\s+(?:it|them|instance)\s+(?:over|back)|migrate|relocate|recover)\b/;

const DESTINATION = String.raw`\b(?:back\s+)?(?:to|onto|on\s+to|over\s+to)\s+(?:a\s+|an\s+|another\s+|some\s+|the\s+)?(?:(?:new|different|other|fresh|healthy|working)\s*)?(?:(?:gpu|machine|host|box|server|instance|node|one|card)s?\b|${GPU_MARK})`;
const LOST = String.raw`\b(?:died|dead|down|gone|lost|crashed|broke(?:n)?|offline|unreachable|failed|failing|unresponsive)\b`;
/**
 * "move i-3" needs somewhere to go ("move i-3 to an A100", "to another machine") or a reason
 * ("i-3 died, move it"): alone it could mean many things.
 */
export const MOVE_SOMEWHERE = new RegExp(
  String.raw`\b(?:move|transfer|replace)\b.*${DESTINATION}|${LOST}.*\b(?:move|transfer|replace)\b|\b(?:move|transfer|replace)\b.*${LOST}`,
);

/** "enable auto-failover for i-3", "turn off automatic failover on i-3", "fail i-3 over automatically". */
export const AUTO_FAILOVER =
  /\b(?:auto(?:matic(?:ally)?)?[\s-]*fail[\s-]*over|fail(?:[\s-]*over)?\s+(?:\S+\s+){0,3}?(?:over\s+)?automatically)\b/;
const AUTO_OFF = /\b(?:disable|turn\s+off|switch\s+off|stop|no\s+more|off|remove|cancel|without)\b/;

/** failover: one call per instance named, to the GPU and under the price named, if any. */
export function failoverPlan(ex: Extraction): Plan | undefined {
  if (ex.instances.length === 0) return undefined;
  if (ex.unknownGpus.length > 0 && ex.gpus.length === 0) {
    // The tool refuses it with suggestions, which says more than the planner can.
    return failovers(ex.instances, { gpu: ex.unknownGpus[0]! });
  }
  if (ex.gpus.length > 1) {
    return {
      kind: 'clarify',
      message: `Which GPU should ${ex.instances.join(' and ')} move to: ${ex.gpus.map((g) => g.displayName).join(' or ')}?`,
    };
  }
  if (ex.maxPrice !== undefined && ex.priceIsTotal) {
    return {
      kind: 'clarify',
      message: `For a failover give the highest price per GPU per hour, e.g. "failover ${ex.instances[0]} under $0.60 per GPU".`,
    };
  }
  return failovers(ex.instances, {
    ...(ex.gpus[0] && { gpu: ex.gpus[0].displayName }),
    ...(ex.maxPrice !== undefined && { max_price_per_gpu_hour: ex.maxPrice }),
  });
}

function failovers(instances: readonly string[], args: Record<string, unknown>): Plan {
  return checkedCalls(
    instances.map((instance) => ({ tool: 'failover' as const, args: { instance, ...args } })),
  );
}

/** auto_failover: on, or off when the request says so, for each instance named. */
export function autoFailoverPlan(ex: Extraction, text: string): Plan | undefined {
  if (ex.instances.length === 0) return undefined;
  const enabled = !AUTO_OFF.test(text);
  return checkedCalls(
    ex.instances.map((instance) => ({ tool: 'auto_failover' as const, args: { instance, enabled } })),
  );
}
