import { DURATION_UNIT, minutesPerUnit } from '../../util/duration-units.ts';
import { readNumber, WRITTEN_NUMBER } from './numerals.ts';

/**
 * Spans of time as people write them ("15 minutes", "1.5 hours", "an hour", "half an hour",
 * "2h", "3 days"), read exactly as whole minutes, or a problem saying why they cannot be: a
 * negative, zero or fractional-minute span is refused, never rounded into something else.
 */

const DURATION = new RegExp(
  String.raw`(?:\b(half)\s+an?\s+hour\b|\b(an?|one)\s+(hour|minute|day|week)\b|(?:^|[^\w.-])${WRITTEN_NUMBER}\s*-?\s*(${DURATION_UNIT})\b)`,
);

export type Minutes = { minutes: number } | { problem: string };

export interface DurationLimits {
  /** What the span is, for messages: "an idle time". */
  what: string;
  maxMinutes: number;
  /** The longest span in words: "a week". */
  maxInWords: string;
}

/** The first span of time in `text`, as whole minutes; undefined when it names none. */
export function readMinutes(text: string, limits: DurationLimits): Minutes | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  if (match[1]) return { minutes: 30 };
  if (match[2]) return { minutes: minutesPerUnit(match[3]!)! };
  const written = match[4]!;
  const unit = minutesPerUnit(match[5]!)!;
  const quoted = `"${written} ${match[5]}"`;
  if (written.startsWith('-'))
    return { problem: `${quoted} is negative; ${limits.what} is at least 1 minute.` };
  const amount = readNumber(written);
  if (amount === undefined) return { problem: `I can't read ${quoted} as an exact time.` };
  const minutes = amount * unit;
  if (minutes === 0) return { problem: `${quoted} is no time at all; ${limits.what} is at least 1 minute.` };
  if (!Number.isInteger(Math.round(minutes * 1e6) / 1e6)) {
    return { problem: `${quoted} is not a whole number of minutes; say it in whole minutes.` };
  }
  if (minutes < 1) return { problem: `${quoted} is under a minute; ${limits.what} is at least 1 minute.` };
  if (minutes > limits.maxMinutes) {
    return {
      problem: `${quoted} is more than ${limits.maxInWords}, the longest ${limits.what.replace(/^an? /, '')} I take.`,
    };
  }
  return { minutes: Math.round(minutes) };
}
