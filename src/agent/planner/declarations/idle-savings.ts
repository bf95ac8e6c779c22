import { IDLE_WORDS, SAVINGS_WORDS, savingsPlan } from '../auto-pause.ts';
import type { ToolReading } from '../declaration.ts';

/** "how much did auto-pause save this week?": a question with no schedule in it, scored like any other. */
export const idleSavings: ToolReading = {
  reading: {
    acts: [],
    objects: [
      { pattern: SAVINGS_WORDS, points: 4 },
      { pattern: IDLE_WORDS, points: 4 },
    ],
    // The tool reports the channel's savings; no value narrows it.
    slots: [],
    risk: 0,
    uses: [],
    verb: 'show savings of',
    build: (_ex, text) => savingsPlan(text),
  },
};
