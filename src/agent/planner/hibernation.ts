import { checked } from './checked-calls.ts';
import { type DurationLimits, readMinutes } from './extract-duration.ts';
import type { Plan } from './types.ts';

/**
 * Hibernation policy phrasings, read whole by hibernation_policy since a span is a shape the shared
 * slots cannot say yet: "hibernate i-3 after 2 hours paused", "hibernate i-3 when it has been
 * paused for 90 minutes", "stop hibernating i-3", "never hibernate i-3". A span that cannot be read
 * exactly gets a question, never a hibernation now; "hibernate i-3" alone is hibernate's, scored.
 */

const HIBERNATE = /\bhibernat\w*\b/i;
const OFF =
  /\b(?:stop|never|don'?t|do\s+not|no\s+more|disable|turn\s+off|switch\s+off|cancel|remove)\s+(?:\S+\s+){0,2}?hibernat\w*|\bhibernat\w*\s+(?:off|disabled)\b/i;
const INSTANCE = /\bi-\d+\b/gi;
const HIBERNATION_TIME: DurationLimits = {
  what: 'a time paused before hibernating',
  maxMinutes: 90 * 24 * 60,
  maxInWords: '90 days',
};

/** hibernation_policy: "hibernate i-3 after 2 hours paused", "stop hibernating i-3"; and which instance, when none is named. */
export function readHibernationPolicy(text: string): Plan | undefined {
  if (!HIBERNATE.test(text)) return undefined;
  const instances = instancesIn(text);
  if (instances.length === 0) {
    return {
      kind: 'clarify',
      message: 'Hibernate which instance? Say "hibernate i-3" (now) or "hibernate i-3 after 2 hours paused".',
    };
  }
  if (OFF.test(text))
    return each(instances, (instance) => ({
      tool: 'hibernation_policy',
      args: { instance, after_minutes: null },
    }));
  const span = readMinutes(text, HIBERNATION_TIME);
  if (span && 'problem' in span) {
    return {
      kind: 'clarify',
      message: `${span.problem} For example: "hibernate ${instances[0]} after 2 hours paused".`,
    };
  }
  if (!span) return undefined;
  return each(instances, (instance) => ({
    tool: 'hibernation_policy',
    args: { instance, after_minutes: span.minutes },
  }));
}

function instancesIn(text: string): string[] {
  return [...new Set((text.match(INSTANCE) ?? []).map((i) => i.toLowerCase()))];
}

function each(instances: readonly string[], call: (instance: string) => Parameters<typeof checked>[0]): Plan {
  const calls = [];
  for (const instance of instances) {
    const plan = checked(call(instance));
    if (plan.kind !== 'calls') return plan;
    calls.push(...plan.calls);
  }
  return { kind: 'calls', calls };
}
