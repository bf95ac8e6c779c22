import { MIN_SNAPSHOT_INTERVAL_MINUTES } from '../../tools/schemas.ts';
import { DURATION_UNIT, minutesPerUnit, REPEAT_WORD, REPEAT_WORDS } from '../../util/duration-units.ts';
import { checked } from './checked-calls.ts';
import { readNumber, SMALL_NUMBER } from './numerals.ts';
import type { Plan } from './types.ts';

/**
 * Scheduled snapshots: "snapshot i-3 every hour", "stop snapshotting i-3", "keep the last 5
 * snapshots of i-3". A schedule is a shape the shared slots cannot say yet, so snapshot_policy
 * declares this whole-request reader; read only when the whole request is one of these, anything
 * else about snapshots is scored like any request.
 */

const PLEASE = String.raw`(?:(?:please|pls|now|ok|okay|can\s+you|could\s+you)[\s,]+)*`;
const TAIL = String.raw`(?:[\s,]+(?:please|now|thanks|thank\s+you))*[\s.!]*$`;
const INSTANCE = String.raw`(?:instance\s+)?(i-\d+)`;

// "every hour", "every 30 minutes", "every 2 hours", "hourly", "daily", "every half hour".
const UNIT = `(${DURATION_UNIT})`;
const EVERY = String.raw`(?:every\s+(?:(?:an?|one)\s+)?${UNIT}|every\s+${SMALL_NUMBER}\s*${UNIT}|(${REPEAT_WORD})|every\s+(half)\s+(?:an\s+)?hour)`;
const KEEP_TAIL = String.raw`(?:[\s,]+(?:and\s+)?keep(?:ing)?\s+(?:only\s+)?(?:the\s+)?(?:last|latest|newest|most\s+recent)\s+${SMALL_NUMBER})?`;
const SCHEDULE = new RegExp(
  String.raw`^${PLEASE}(?:snapshot|back\s*up|backup|(?:take|make|schedule)\s+(?:a\s+)?(?:snapshots?|backups?)\s+(?:of|for))\s+${INSTANCE}\s+${EVERY}${KEEP_TAIL}${TAIL}`,
  'i',
);
const SCHEDULE_FIRST = new RegExp(
  String.raw`^${PLEASE}(?:schedule\s+)?(${REPEAT_WORD})\s+(?:snapshots?|backups?)\s+(?:of|for|on)\s+${INSTANCE}${TAIL}`,
  'i',
);
const STOP = new RegExp(
  String.raw`^${PLEASE}(?:stop|cancel|disable|end|turn\s+off|unschedule|no\s+more)\s+(?:the\s+)?(?:(?:scheduled\s+|automatic\s+)?(?:snapshots?|snapshotting|backups?|backing\s+up)(?:\s+schedule)?(?:\s+(?:of|for|on))?\s+${INSTANCE}|${INSTANCE}(?:'s)?\s+(?:snapshot|backup)\s+schedule)${TAIL}`,
  'i',
);
const KEEP = new RegExp(
  String.raw`^${PLEASE}(?:only\s+)?(?:keep|retain)\s+(?:only\s+)?(?:(?:the\s+)?(?:last|latest|newest|most\s+recent)\s+)?(all|${SMALL_NUMBER})\s+(?:(?:complete|of\s+the|of\s+its)\s+)?(?:snapshots?|backups?)\s+(?:of|for|on)\s+${INSTANCE}${TAIL}`,
  'i',
);
const SHOW_POLICY = new RegExp(
  String.raw`^${PLEASE}(?:(?:show|what(?:'s|\s+is))\s+(?:me\s+)?(?:the\s+)?)?(?:snapshot|backup)\s+(?:schedule|policy|retention)\s+(?:of|for|on)\s+${INSTANCE}[\s?]*${TAIL}`,
  'i',
);

/** Minutes in "every 2 hours" (count and unit as matched); undefined when the count cannot be read. */
function everyMinutes(count: string | undefined, unit: string): number | undefined {
  const n = count === undefined ? 1 : readNumber(count.toLowerCase());
  if (n === undefined) return undefined;
  const per = minutesPerUnit(unit);
  return per === undefined ? undefined : n * per;
}

function planSchedule(text: string): Plan | undefined {
  const first = SCHEDULE_FIRST.exec(text);
  if (first) {
    const minutes = REPEAT_WORDS[first[1]!.toLowerCase()] ?? 60;
    return schedule(first[2]!, minutes, undefined);
  }
  const m = SCHEDULE.exec(text);
  if (!m) return undefined;
  // Groups: instance, unit (every hour), count + unit (every 2 hours), word (hourly), half, keep.
  const [, instance, bareUnit, count, countUnit, word, half, keep] = m;
  const minutes = half
    ? 30
    : word
      ? REPEAT_WORDS[word.toLowerCase()]
      : everyMinutes(count, (bareUnit ?? countUnit)!);
  if (minutes === undefined) return undefined;
  const keepLast = keep === undefined ? undefined : readNumber(keep.toLowerCase());
  return schedule(instance!, minutes, keepLast);
}

function schedule(instance: string, minutes: number, keepLast: number | undefined): Plan {
  const ref = instance.toLowerCase();
  if (minutes < MIN_SNAPSHOT_INTERVAL_MINUTES) {
    return {
      kind: 'clarify',
      message: `Scheduled snapshots can be ${MIN_SNAPSHOT_INTERVAL_MINUTES} minutes apart at the least, so "every ${minutes} minute${minutes === 1 ? '' : 's'}" can't be set. Try "snapshot ${ref} every hour" or "every 30 minutes". Nothing was changed.`,
    };
  }
  return checked({
    tool: 'snapshot_policy',
    args: { instance: ref, every_minutes: minutes, ...(keepLast !== undefined && { keep_last: keepLast }) },
  });
}

function planPolicy(text: string): Plan | undefined {
  const scheduled = planSchedule(text);
  if (scheduled) return scheduled;
  const stop = STOP.exec(text);
  if (stop) {
    return checked({
      tool: 'snapshot_policy',
      args: { instance: (stop[1] ?? stop[2])!.toLowerCase(), stop_schedule: true },
    });
  }
  const keep = KEEP.exec(text);
  if (keep) {
    const count = keep[1]!.toLowerCase() === 'all' ? 0 : readNumber(keep[1]!.toLowerCase());
    if (count === undefined) return undefined;
    return checked({ tool: 'snapshot_policy', args: { instance: keep[3]!.toLowerCase(), keep_last: count } });
  }
  const show = SHOW_POLICY.exec(text);
  if (show) return checked({ tool: 'snapshot_policy', args: { instance: show[1]!.toLowerCase() } });
  return undefined;
}

/** snapshot_policy: "snapshot i-3 every hour", "stop snapshotting i-3", "keep the last 5 snapshots of i-3". */
export function readSnapshotPolicy(text: string): Plan | undefined {
  return planPolicy(text.trim());
}
