import { VULGAR_FRACTIONS } from './numerals.ts';

/** What chat platforms and keyboards add to a request, evened out before the planner reads it. */

/** Longest request the planner reads; longer text is almost always a paste, not a request. */
export const MAX_REQUEST_CHARS = 2000;

const ALL_BUT_VULGAR_FRACTIONS = new RegExp(`[^${VULGAR_FRACTIONS}]+`, 'g');

/**
 * Evens out how people type a request: full-width characters, smart quotes and dashes, emphasis
 * markers, and a leading bot name ("@gpuops", "gpuops,", "/gpuops", "hey gpuops"). A platform's
 * own syntax (Slack's `<@U1>` and `&amp;`, Discord's `<@123>`) is decoded by its adapter in
 * src/bots before the text gets here.
 */
export function cleanRequest(raw: string): string {
  // NFKC folds full-width digits and symbols ("＄０.５") into ASCII; skip it for plain ASCII. It
  // would also turn "½" into "1⁄2": vulgar fractions are kept as typed, so a refusal quotes them.
  let text = /[^\x20-\x7e]/.test(raw)
    ? raw.replace(ALL_BUT_VULGAR_FRACTIONS, (run) => run.normalize('NFKC'))
    : raw;
  text = text
    .replace(/[‘’‛`´]/g, "'")
    .replace(/[“”„]/g, '"')
    .replace(/[‐‑‒–—―−]/g, '-')
    .replace(/[*~]/g, ' ')
    // The unread text uses § as its own marker.
    .replace(/§/g, ' ')
    // Keep line breaks: a message with one request per line is several requests.
    .replace(/[^\S\n]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
  return text.replace(/^(?:(?:hey|hi|hello|yo|ok|okay)\s+)?[@/]?gpuops\b[\s,:;.!-]*/i, '').trim();
}
