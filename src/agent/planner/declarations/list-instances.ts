import { LOOK } from '../act-words.ts';
import { checked } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { listArgs } from '../list-filter.ts';
import { GPU_MARK } from '../unread-text.ts';

export const listInstances: ToolReading = {
  reading: {
    acts: [],
    objects: [
      { pattern: LOOK, points: 1 },
      {
        pattern:
          /\b(?:my|our)\s+(?:\S+\s+)?(?:instances?|machines?|gpus?|servers?|box(?:es)?|rentals?|nodes?|vms?|pods?|fleet|rigs?)\b/,
        points: 5,
      },
      { pattern: /\b(?:instances|machines|servers|rentals|fleet|vms|boxes)\b/, points: 2 },
      {
        pattern:
          /\bwhat(?:'s|s|\s+is|\s+are)?\s+(?:currently\s+|still\s+|now\s+)?(?:running|up|active|live)\b|\bwhat\s+do\s+(?:i|we)\s+have\b|\banything\s+running\b|\bwhat\s+(?:am\s+i|are\s+we)\s+(?:running|paying\s+for|renting)\b/,
        points: 5,
      },
      {
        pattern: /\b(?:running|stopped|paused|active|destroyed|terminated|deleted|all|everything)\b/,
        points: 1,
      },
      {
        pattern: new RegExp(
          String.raw`\b(?:list|show)\s+(?:me\s+)?(?:everything|all)\b(?!\s+(?:the\s+)?(?:offers?|deals|options|gpus?|cards?|${GPU_MARK}))`,
        ),
        points: 3,
      },
    ],
    slots: [
      { slots: ['instance'], points: -4 },
      { slots: ['job'], points: -4 },
    ],
    risk: 1,
    yieldsTo: ['pause', 'resume', 'destroy'],
    uses: [],
    verb: 'list',
    build: (_ex, text) => checked({ tool: 'list_instances', args: listArgs(text) }),
  },
};
