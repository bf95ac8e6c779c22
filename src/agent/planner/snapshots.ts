import { MIN_SNAPSHOT_INTERVAL_MINUTES } from '../../tools/schemas.ts';
import { checked } from './advice.ts';
import { readNumber, SMALL_NUMBER } from './text.ts';
import type { Plan } from './types.ts';

/**
 * Snapshot phrasings: "snapshot i-3", "back up i-6", "take a snapshot of i-14 called
 * before-upgrade", "list snapshots", "snapshots of i-3", "restore snap-3 onto i-9", "restore snap-3 on
 * a 4090" (a new instance), "describe
 * snap-3", "delete snap-3", "snapshot i-3 every hour", "stop snapshotting i-3", "keep the last 5
 * snapshots of i-3". Read before the other intents, and only when the whole request is one of
 * these; anything else about snapshots falls through to the rest of the planner.
 */

const PLEASE = String.raw`(?:(?:please|pls|now|ok|okay|can\s+you|could\s+you)[\s,]+)*`;
const TAIL = String.raw`(?:[\s,]+(?:please|now|thanks|thank\s+you))*[\s.!]*$`;
const INSTANCE = String.raw`(?:instance\s+)?(i-\d+)`;
const NAME = String.raw`(?:\s+(?:as|called|named|labell?ed|tagged)\s+["'“”]?([\w.-]{1,60})["'“”]?)?`;

const TAKE = new RegExp(
  String.raw`^${PLEASE}(?:snapshot|back\s*up|backup|checkpoint|(?:take|make|create)\s+(?:a\s+)?(?:new\s+)?(?:snapshot|backup|checkpoint)\s+(?:of|for))\s+${INSTANCE}${NAME}${TAIL}`,
  'i',
);
const LIST = new RegExp(
  String.raw`^${PLEASE}(?:(?:list|show)(?:\s+(?:me|all|my|our))*\s+(?:the\s+)?)?(?:snapshots|backups)(?:\s+(?:of|for)\s+${INSTANCE})?${TAIL}`,
  'i',
);
// "restore snap-2 on a 4090", "restore snap-2 onto a new instance", "bring back snap-2 on a new A100".
const RESTORE_NEW = new RegExp(
  String.raw`^${PLEASE}(?:restore|bring\s+back)\s+(snap-\d+)\s+(?:onto|on|to|into|on\s+to|with)\s+(?:an?\s+)?(?:new|fresh|another)?\s*(.+?)${TAIL}`,
  'i',
);
const NO_GPU_NAMED = /^(?:instance|machine|box|server|gpu|one|node)s?$/i;

const RESTORE = new RegExp(
  String.raw`^${PLEASE}(?:restore|roll\s+back\s+to|bring\s+back)\s+(snap-\d+)\s+(?:onto|on|to|into|on\s+to)\s+${INSTANCE}${TAIL}`,
  'i',
);

const SNAP = String.raw`(?:(?:the\s+)?(?:snapshot|backup)\s+)?(snap-\d+)`;
const DELETE = new RegExp(
  String.raw`^${PLEASE}(?:delete|remove|drop|erase|discard|forget|get\s+rid\s+of)\s+${SNAP}${TAIL}`,
  'i',
);
const DESCRIBE = new RegExp(
  String.raw`^${PLEASE}(?:(?:describe|show(?:\s+me)?|inspect|details?\s+(?:of|for|on)|info(?:rmation)?\s+(?:on|about|for)|tell\s+me\s+about|what(?:'s|\s+is)\s+in)\s+)?${SNAP}(?:\s+details)?[\s?]*${TAIL}`,
  'i',
);

// "every hour", "every 30 minutes", "every 2 hours", "hourly", "daily", "every half hour".
const UNIT = '(minutes?|mins?|hours?|hrs?|h|days?|d)';
const EVERY = String.raw`(?:every\s+(?:(?:an?|one)\s+)?${UNIT}|every\s+${SMALL_NUMBER}\s*${UNIT}|(hourly|daily|half-hourly)|every\s+(half)\s+(?:an\s+)?hour)`;
const KEEP_TAIL = String.raw`(?:[\s,]+(?:and\s+)?keep(?:ing)?\s+(?:only\s+)?(?:the\s+)?(?:last|latest|newest|most\s+recent)\s+${SMALL_NUMBER})?`;
const SCHEDULE = new RegExp(
  String.raw`^${PLEASE}(?:snapshot|back\s*up|backup|(?:take|make|schedule)\s+(?:a\s+)?(?:snapshots?|backups?)\s+(?:of|for))\s+${INSTANCE}\s+${EVERY}${KEEP_TAIL}${TAIL}`,
  'i',
);
const SCHEDULE_FIRST = new RegExp(
  String.raw`^${PLEASE}(?:schedule\s+)?(hourly|daily|half-hourly)\s+(?:snapshots?|backups?)\s+(?:of|for|on)\s+${INSTANCE}${TAIL}`,
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

const MINUTES: Readonly<Record<string, number>> = { m: 1, h: 60, d: 1440 };

/** Minutes in "every 2 hours" (count and unit as matched); undefined when the count cannot be read. */
function everyMinutes(count: string | undefined, unit: string): number | undefined {
  const n = count === undefined ? 1 : readNumber(count.toLowerCase());
  if (n === undefined) return undefined;
  return n * (MINUTES[unit.toLowerCase()[0]!] ?? 1);
}

function planSchedule(text: string): Plan | undefined {
  const first = SCHEDULE_FIRST.exec(text);
  if (first) {
    const minutes = { hourly: 60, daily: 1440, 'half-hourly': 30 }[first[1]!.toLowerCase()] ?? 60;
    return schedule(first[2]!, minutes, undefined);
  }
  const m = SCHEDULE.exec(text);
  if (!m) return undefined;
  // Groups: instance, unit (every hour), count + unit (every 2 hours), word (hourly), half, keep.
  const [, instance, bareUnit, count, countUnit, word, half, keep] = m;
  const minutes = half
    ? 30
    : word
      ? { hourly: 60, daily: 1440, 'half-hourly': 30 }[word.toLowerCase()]
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

export function planSnapshots(text: string): Plan | undefined {
  const policy = planPolicy(text.trim());
  if (policy) return policy;
  const del = DELETE.exec(text.trim());
  if (del) return checked({ tool: 'delete_snapshot', args: { snapshot: del[1]!.toLowerCase() } });
  const describe = DESCRIBE.exec(text.trim());
  if (describe) return checked({ tool: 'describe_snapshot', args: { snapshot: describe[1]!.toLowerCase() } });
  const take = TAKE.exec(text.trim());
  if (take)
    return checked({
      tool: 'snapshot',
      args: { instance: take[1]!.toLowerCase(), ...(take[2] && { name: take[2] }) },
    });
  const list = LIST.exec(text.trim());
  if (list)
    return checked({ tool: 'list_snapshots', args: list[1] ? { instance: list[1].toLowerCase() } : {} });
  const restore = RESTORE.exec(text.trim());
  if (restore) {
    return checked({
      tool: 'restore',
      args: { snapshot: restore[1]!.toLowerCase(), instance: restore[2]!.toLowerCase() },
    });
  }
  const onNew = RESTORE_NEW.exec(text.trim());
  if (onNew && !/^i-\d+$/i.test(onNew[2]!)) {
    const gpu = onNew[2]!.trim();
    return checked({
      tool: 'restore_to_new_instance',
      // The tool resolves the GPU, and refuses an unknown one with suggestions.
      args: { snapshot: onNew[1]!.toLowerCase(), ...(!NO_GPU_NAMED.test(gpu) && { gpu }) },
    });
  }
  return undefined;
}
