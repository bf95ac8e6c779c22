/**
 * Units of time as people write them ("2h", "30 mins", "3 days", "a week") and the words for a
 * repeating span ("hourly"): the one table every reader of a span of time in chat text uses.
 */

/** Regex source (no capture group) for one unit of time, longest spellings first. */
export const DURATION_UNIT = 'seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w';

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds in one of the unit (as DURATION_UNIT matches it); undefined for another word. */
export function secondsPerUnit(unit: string): number | undefined {
  const word = unit.trim().toLowerCase();
  if (!new RegExp(`^(?:${DURATION_UNIT})$`).test(word)) return undefined;
  return SECONDS_PER_UNIT[word.charAt(0)];
}

/** Minutes in one of the unit; a second is 1/60. */
export function minutesPerUnit(unit: string): number | undefined {
  const seconds = secondsPerUnit(unit);
  return seconds === undefined ? undefined : seconds / 60;
}

/** "hourly", "daily" and friends, in minutes. */
export const REPEAT_WORDS: Readonly<Record<string, number>> = {
  'half-hourly': 30,
  hourly: 60,
  daily: 24 * 60,
  weekly: 7 * 24 * 60,
};

/** Regex source (no capture group) for one of REPEAT_WORDS, longest first. */
export const REPEAT_WORD = Object.keys(REPEAT_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|');
