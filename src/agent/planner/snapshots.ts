import { MIN_SNAPSHOT_INTERVAL_MINUTES } from '../../tools/schemas.ts';
import { DURATION_UNIT, minutesPerUnit, REPEAT_WORD, REPEAT_WORDS } from '../../util/duration-units.ts';
import { checked, checkedCalls } from './checked-calls.ts';
import { readNumber, SMALL_NUMBER } from './numerals.ts';
import type { Plan } from './types.ts';

/**
 * Snapshot phrasings: "snapshot i-3", "back up i-6", "take a snapshot of i-14 called
 * before-upgrade", "list snapshots", "snapshots of i-3", "restore snap-3 onto i-9", "restore snap-3 on
 * a 4090" (a new instance), "snapshot i-3 every hour", "stop snapshotting i-3", "keep the last 5
 * snapshots of i-3". Read before the other intents, and only when the whole request is one of
 * these; anything else about snapshots falls through to the rest of the planner.
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

// ── Taking, listing and restoring ───────────────────────────────────────
//
// The ids are read first and replaced by markers, so each act is one short shape over what is
// left: "take a backup of §i", "roll §i back to §s", "what snapshots do we have". Courtesy before
// ("can you", "could I get", "I need") and after ("please", "?") is dropped first, so a question
// reads like the command it asks for.

const IDS = /\b(?:instance\s+)?i-(\d+)\b|\binstance\s+#?(\d+)\b|\b(snap-\d+)\b/gi;
const COURTESY =
  /^(?:(?:please|pls|now|ok|okay|hey|hi|so|just|go\s+ahead\s+and|let'?s|(?:can|could|would|will)\s+(?:you|u)(?:\s+please)?|(?:can|could|may)\s+(?:i|we)\s+(?:get|have)|i\s+(?:need|want|would\s+like)|i'?d\s+like|we\s+(?:need|want))[\s,]+)*/i;
const THANKS = /(?:[\s,]+(?:please|pls|now|thanks|thank\s+you|for\s+me|asap|right\s+now))*[\s.!?]*$/i;
const A = String.raw`(?:(?:a|an|another|one|the)\s+)?(?:(?:new|fresh|quick|full)\s+)?`;
const SNAPSHOT_NOUN = '(?:snapshot|snap|backup|back-up|checkpoint)';
const SNAPSHOT_NOUNS = '(?:snapshots|snaps|backups|back-ups|checkpoints)';
const WHY = String.raw`(?:\s+(?:before|in\s+case|just\s+in\s+case|so\s+that|so)\b.*)?`;
const NAMED = String.raw`(?:\s+(?:as|called|named|labell?ed|tagged)\s+["']?([\w.-]{1,60})["']?)?`;

const TAKE: readonly RegExp[] = [
  // "snapshot §i", "back up §i", "checkpoint §i", "save §i", "save the state of §i"
  new RegExp(
    String.raw`^(?:snapshot|back\s*up|checkpoint|save(?:\s+(?:the\s+)?(?:state|contents|workspace)\s+of)?)\s+§i${NAMED}${WHY}$`,
    'i',
  ),
  // "back §i up"
  new RegExp(String.raw`^back\s+§i\s+up${NAMED}${WHY}$`, 'i'),
  // "take a backup of §i", "make a snapshot of §i", "a snapshot of §i", "snapshot of §i"
  new RegExp(
    String.raw`^(?:(?:take|make|create|get|do|grab|capture|cut|have)\s+)?${A}${SNAPSHOT_NOUN}\s+(?:of|for|on)\s+§i${NAMED}${WHY}$`,
    'i',
  ),
];
const LIST: readonly RegExp[] = [
  new RegExp(
    String.raw`^(?:(?:list|show|display|see|view|get)(?:\s+(?:me|us|all|my|our|the|every))*\s+)?${SNAPSHOT_NOUNS}(?:\s+(?:of|for|on)\s+§i)?$`,
    'i',
  ),
  // "what backups do we have?", "which snapshots exist for §i", "any snapshots of §i?"
  new RegExp(
    String.raw`^(?:what|which|any)\s+${SNAPSHOT_NOUNS}(?:\s+(?:of|for|on)\s+§i)?(?:\s+(?:do\s+(?:i|we|you)\s+have|are\s+there|exist|have\s+(?:i|we)\s+(?:got|taken|made)))?(?:\s+(?:of|for|on)\s+§i)?$`,
    'i',
  ),
  // "does §i have any backups?"
  new RegExp(String.raw`^(?:does|has)\s+§i\s+(?:have|got)\s+(?:any\s+)?${SNAPSHOT_NOUNS}$`, 'i'),
];
const THE_SNAPSHOT = String.raw`(?:the\s+)?(?:${SNAPSHOT_NOUN}\s+)?§s`;
const PUT_BACK = String.raw`(?:restore|load|apply|put|bring\s+back|roll\s+back\s+to|revert\s+to|go\s+back\s+to)`;
const ONTO = String.raw`(?:onto|on|to|into|on\s+to|over\s+to|over)`;
const RESTORE: readonly RegExp[] = [
  // "restore §s onto §i", "restore from §s to §i", "bring back §s onto §i", "put §s back on §i"
  new RegExp(String.raw`^${PUT_BACK}\s+(?:from\s+)?${THE_SNAPSHOT}(?:\s+back)?\s+${ONTO}\s+§i$`, 'i'),
  // "roll §i back to §s", "revert §i to §s", "restore §i from §s", "roll back §i to snapshot §s"
  new RegExp(
    String.raw`^(?:restore|roll(?:\s+back)?|revert|reset|return|bring|take)\s+§i(?:\s+back)?\s+(?:to|from|with|using)\s+${THE_SNAPSHOT}$`,
    'i',
  ),
];
// "restore §s on a 4090", "restore §s onto a new instance", "bring back §s on a new A100".
const RESTORE_NEW = new RegExp(
  String.raw`^${PUT_BACK}\s+(?:from\s+)?${THE_SNAPSHOT}\s+(?:onto|on|to|into|on\s+to|with)\s+(?:an?\s+)?(?:new|fresh|another)?\s*(.+?)$`,
  'i',
);
const NO_GPU_NAMED = /^(?:instance|machine|box|server|gpu|one|node)s?$/i;

/** A request with its ids replaced by markers; undefined when it names two of a kind. */
interface Shape {
  shape: string;
  instance?: string;
  snapshot?: string;
}

// "§i and §i", "§i, §i and §i": several instances where one would go, each to be snapshotted.
const SEVERAL = /§i(?:(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+)§i)+/g;

function shapeOf(text: string): Shape | undefined {
  const read = idsOf(text);
  if (read.instances.length > 1 || read.snapshots.length > 1) return undefined;
  return { shape: read.shape, instance: read.instances[0], snapshot: read.snapshots[0] };
}

function idsOf(text: string): { shape: string; instances: string[]; snapshots: string[] } {
  const instances: string[] = [];
  const snapshots: string[] = [];
  const shape = text
    .trim()
    .replace(IDS, (_whole, id?: string, numbered?: string, snap?: string) => {
      if (snap !== undefined) {
        snapshots.push(snap.toLowerCase());
        return '§s';
      }
      instances.push(`i-${id ?? numbered}`);
      return '§i';
    })
    .replace(COURTESY, '')
    .replace(THANKS, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { shape, instances, snapshots };
}

/** restore: "restore snap-3 onto i-9", "roll i-3 back to snap-2". */
export function readRestore(text: string): Plan | undefined {
  const read = shapeOf(text);
  if (read?.instance === undefined || read.snapshot === undefined) return undefined;
  if (!RESTORE.some((pattern) => pattern.test(read.shape))) return undefined;
  return checked({ tool: 'restore', args: { snapshot: read.snapshot, instance: read.instance } });
}

/** A request about one snapshot and no instance. */
function aboutSnapshot(text: string): { shape: string; snapshot: string } | undefined {
  const read = shapeOf(text);
  if (read?.snapshot === undefined || read.instance !== undefined) return undefined;
  return { shape: read.shape, snapshot: read.snapshot };
}

/** restore_to_new_instance: "restore snap-3 on a 4090", "bring back snap-3 on a new A100". */
export function readRestoreToNew(text: string): Plan | undefined {
  const read = aboutSnapshot(text);
  const onNew = read && RESTORE_NEW.exec(read.shape);
  if (!read || !onNew || onNew[1]!.includes('§')) return undefined;
  const gpu = onNew[1]!.trim();
  // The tool resolves the GPU, and refuses an unknown one with suggestions.
  return checked({
    tool: 'restore_to_new_instance',
    args: { snapshot: read.snapshot, ...(!NO_GPU_NAMED.test(gpu) && { gpu }) },
  });
}

/** list_snapshots: "show my snapshots", "what backups do we have for i-3?". */
export function readListSnapshots(text: string): Plan | undefined {
  const read = shapeOf(text);
  if (!read || read.snapshot !== undefined || !LIST.some((pattern) => pattern.test(read.shape))) {
    return undefined;
  }
  return checked({
    tool: 'list_snapshots',
    args: read.instance === undefined ? {} : { instance: read.instance },
  });
}

/** snapshot: "snapshot i-3", "take a backup of i-6 called before-upgrade", "back up i-3 and i-4". */
export function readTakeSnapshot(text: string): Plan | undefined {
  const read = idsOf(text);
  if (read.instances.length === 0 || read.snapshots.length > 0) return undefined;
  const shape = read.shape.replace(SEVERAL, '§i');
  if (shape.split('§i').length !== 2) return undefined;
  for (const pattern of TAKE) {
    const take = pattern.exec(shape);
    if (!take) continue;
    // One name cannot be given to several snapshots.
    if (take[1] && read.instances.length > 1) return undefined;
    return checkedCalls(
      [...new Set(read.instances)].map((instance) => ({
        tool: 'snapshot' as const,
        args: { instance, ...(take[1] && { name: take[1] }) },
      })),
    );
  }
  return undefined;
}
