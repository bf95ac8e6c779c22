import { checked } from './advice.ts';
import type { Plan } from './types.ts';

/**
 * Snapshot phrasings: "snapshot i-3", "back up i-6", "take a snapshot of i-14 called
 * before-upgrade", "list snapshots", "snapshots of i-3", "restore snap-3 onto i-9". Read before
 * the other intents, and only when the whole request is one of these; anything else about
 * snapshots falls through to the rest of the planner.
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
const RESTORE = new RegExp(
  String.raw`^${PLEASE}(?:restore|roll\s+back\s+to|bring\s+back)\s+(snap-\d+)\s+(?:onto|on|to|into|on\s+to)\s+${INSTANCE}${TAIL}`,
  'i',
);

export function planSnapshots(text: string): Plan | undefined {
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
  return undefined;
}
