import type { IDLE_SAVINGS_PERIODS } from '../../tools/schemas.ts';
import { checked } from './checked-calls.ts';
import { type DurationLimits, type Minutes, readMinutes } from './extract-duration.ts';
import { readNumber } from './numerals.ts';
import type { Plan } from './types.ts';

/**
 * Auto-pause phrasings: "pause i-3 when idle for 15 minutes", "auto-pause i-4 after 20 minutes
 * idle", "auto-pause idle instances in this channel after 30 minutes", "stop auto-pausing i-3",
 * "auto-pause i-3 again", "keep i-3 running (for 3 hours | until I say otherwise)", "how much did
 * auto-pause save this week?". Read before the other intents: "pause i-3 when idle for 15
 * minutes" must never be read as "pause i-3". A request about pausing when idle that cannot be
 * read exactly ("after 0 minutes", "after -5 minutes", "after a while") gets a question, never a
 * guess and never a pause now.
 */

const AUTO_PAUSE = /\bauto[\s-]?paus(?:e|es|ed|ing)\b/;
const IDLE = /\b(?:idle|idling|unused|inactive|not\s+(?:being\s+)?used|doing\s+nothing)\b/;
const PAUSE_VERB = /\b(?:pause|stop|suspend|shut\s+down|turn\s+off)\b/;
const SAVE = /\b(?:sav(?:e|ed|es|ing|ings))\b/;
const INSTANCE = /\bi-\d+\b/g;

const KEEP =
  /^(?:(?:please|pls|ok|okay|yes|no)[\s,]+)*(?:keep|leave)\s+(?:instance\s+)?(i-\d+)\s+(?:running|up|on|alive|going)\b(.*)$/;
const DONT_PAUSE =
  /^(?:(?:please|pls|no)[\s,]+)*(?:don'?t|do\s+not)\s+(?:auto[\s-]?)?pause\s+(?:instance\s+)?(i-\d+)(.*)$/;
const UNTIL_FURTHER_NOTICE =
  /\b(?:until|till|til)\s+(?:i|we|someone|somebody|anyone)\s+(?:say|tell\s+you)\s+(?:otherwise|so)\b|\buntil\s+further\s+notice\b|\bindefinitely\b|\bforever\b|\bfor\s+good\b/;
// "stop auto-pausing i-3", "turn off auto-pause for i-3", "no auto-pause in this channel", "auto-pause off".
const STOP =
  /\b(?:stop|quit|disable|turn\s+off|switch\s+off|cancel|remove|delete|no\s+more|never|don'?t|do\s+not|no)\s+(?:the\s+|any\s+)?auto[\s-]?paus\w*|\bauto[\s-]?paus\w*\s+(?:off|disabled)\b/;
const AGAIN = /\b(?:again|back\s+on|re-?enable|resume|turn\s+on|switch\s+on)\b/;
const CHANNEL = /\b(?:channel|here|all|every|any|instances|machines)\b/;
const THRESHOLD = /\b(?:under|below|less\s+than|lower\s+than)\s+(-?[\d.,]+)\s*(?:%|percent|pct)/;

const IDLE_TIME: DurationLimits = { what: 'an idle time', maxMinutes: 7 * 24 * 60, maxInWords: 'a week' };

/** "15 minutes", "1.5 hours", "an hour", "half an hour" as whole minutes; a problem when not exactly. */
export function readIdleMinutes(text: string): Minutes | undefined {
  return readMinutes(text, IDLE_TIME);
}

function instancesIn(text: string): string[] {
  return [...new Set(text.match(INSTANCE) ?? [])];
}

function clarify(message: string): Plan {
  return { kind: 'clarify', message };
}

function all(plans: Plan[]): Plan {
  const question = plans.find((p) => p.kind !== 'calls');
  if (question) return question;
  return { kind: 'calls', calls: plans.flatMap((p) => (p.kind === 'calls' ? p.calls : [])) };
}

/** Saving words and idle words, the cues of a question about what auto-pause saved. */
export const SAVINGS_WORDS = SAVE;
export const IDLE_WORDS = new RegExp(`${AUTO_PAUSE.source}|${IDLE.source}`);

function asksSavings(text: string): boolean {
  return SAVE.test(text) && (AUTO_PAUSE.test(text) || IDLE.test(text));
}

// "keep i-3 running", "don't pause i-3": the answer to an idle warning.
function keepRequest(text: string): RegExpExecArray | null {
  return KEEP.exec(text) ?? DONT_PAUSE.exec(text);
}

/** keep_running: "keep i-3 running (for 3 hours | until I say otherwise)", "don't pause i-3". */
export function readKeepRunning(raw: string): Plan | undefined {
  const text = raw.toLowerCase().trim();
  const keep = keepRequest(text);
  if (asksSavings(text) || !keep || aboutThePolicy(text, keep)) return undefined;
  return keepPlan(keep[1]!, keep[2] ?? '');
}

// "don't pause i-3 when idle" is about the policy, where "don't pause i-3" answers a warning.
function aboutThePolicy(text: string, keep: RegExpExecArray): boolean {
  return IDLE.test(text) && keep[0].startsWith('d');
}

/** Whether the request is about pausing when idle at all. */
function aboutAutoPause(text: string): boolean {
  return AUTO_PAUSE.test(text) || (IDLE.test(text) && PAUSE_VERB.test(text));
}

/** stop_auto_pause: "stop auto-pausing i-3", "don't pause i-3 when idle", "no more auto-pause in this channel". */
export function readStopAutoPause(raw: string): Plan | undefined {
  const text = raw.toLowerCase().trim();
  if (asksSavings(text)) return undefined;
  const keep = keepRequest(text);
  if (keep) {
    return aboutThePolicy(text, keep)
      ? checked({ tool: 'stop_auto_pause', args: { instance: keep[1]! } })
      : undefined;
  }
  if (!aboutAutoPause(text) || !STOP.test(text)) return undefined;
  const instances = instancesIn(text);
  if (instances.length > 0)
    return all(instances.map((instance) => checked({ tool: 'stop_auto_pause', args: { instance } })));
  if (CHANNEL.test(text)) return checked({ tool: 'stop_auto_pause', args: { channel_default: true } });
  return clarify(
    'Stop auto-pausing which? Say "stop auto-pausing i-3", or "stop auto-pausing instances in this channel".',
  );
}

/**
 * auto_pause: "pause i-3 when idle for 15 minutes", "auto-pause idle instances in this channel
 * after 30 minutes", "auto-pause i-3 again". Read after keep_running and stop_auto_pause.
 */
export function readAutoPause(raw: string): Plan | undefined {
  const text = raw.toLowerCase().trim();
  if (!aboutAutoPause(text) || asksSavings(text) || keepRequest(text) || STOP.test(text)) return undefined;
  const auto = AUTO_PAUSE.test(text);
  const instances = instancesIn(text);
  const window = readIdleMinutes(text);
  if (window && 'problem' in window)
    return clarify(`${window.problem} For example: "auto-pause i-3 after 20 minutes idle".`);
  const threshold = THRESHOLD.exec(text);
  let minUtilization: number | undefined;
  if (threshold) {
    const value = readNumber(threshold[1]!);
    if (value === undefined || !Number.isInteger(value) || value < 1 || value > 100) {
      return clarify(`"${threshold[1]}%" is not a whole percentage from 1 to 100.`);
    }
    minUtilization = value;
  }
  const extra = minUtilization === undefined ? {} : { min_utilization: minUtilization };

  if (!window) {
    if (auto && AGAIN.test(text) && instances.length > 0) {
      return all(instances.map((instance) => checked({ tool: 'auto_pause', args: { instance, ...extra } })));
    }
    return clarify(
      'After how long idle? Say e.g. "auto-pause i-3 after 20 minutes idle", or "auto-pause idle instances in this channel after 30 minutes".',
    );
  }
  const idleMinutes = window.minutes;
  if (instances.length > 0) {
    return all(
      instances.map((instance) =>
        checked({ tool: 'auto_pause', args: { instance, idle_minutes: idleMinutes, ...extra } }),
      ),
    );
  }
  if (CHANNEL.test(text)) {
    return checked({
      tool: 'auto_pause',
      args: { channel_default: true, idle_minutes: idleMinutes, ...extra },
    });
  }
  return clarify(
    `Auto-pause which instance? Say e.g. "auto-pause i-3 after ${idleMinutes} minutes idle", or "auto-pause idle instances in this channel after ${idleMinutes} minutes".`,
  );
}

function keepPlan(instance: string, rest: string): Plan {
  if (UNTIL_FURTHER_NOTICE.test(rest)) {
    return checked({ tool: 'keep_running', args: { instance, until_further_notice: true } });
  }
  const span = readIdleMinutes(rest);
  if (span && 'problem' in span)
    return clarify(
      `${span.problem.replace('an idle time', 'a time to keep it running')} For example: "keep ${instance} running for 3 hours".`,
    );
  return checked({ tool: 'keep_running', args: span ? { instance, minutes: span.minutes } : { instance } });
}

/** idle_savings: "how much did auto-pause save this week?", for the period it names. */
export function savingsPlan(text: string): Plan {
  if (/\b(?:yesterday|last\s+(?:week|month|year)|previous|past\s+\d)/.test(text)) {
    return clarify('I can tell what auto-pause saved today, this week, this month, or in all.');
  }
  const period: (typeof IDLE_SAVINGS_PERIODS)[number] = /\btoday\b/.test(text)
    ? 'today'
    : /\b(?:this\s+)?month\b/.test(text)
      ? 'month'
      : /\b(?:in\s+total|all\s+time|ever|so\s+far|overall|altogether|in\s+all)\b/.test(text)
        ? 'all'
        : 'week';
  return checked({ tool: 'idle_savings', args: { period } });
}
