import { START } from '../act-words.ts';
import type { ToolReading } from '../declaration.ts';
import { callPerInstance, INSTANCE_ACTION_SLOTS } from '../instance-calls.ts';

const RESUME_VERBS = String.raw`resume|unpause|un-pause|unsuspend|restart|continue|wake(?:\s+(?:\S+\s+)?up)?|turn\s+(?:\S+\s+)?(?:back\s+)?on|power\s+(?:\S+\s+)?(?:back\s+)?on|bring\s+(?:\S+\s+)?back`;

export const resume: ToolReading = {
  reading: {
    acts: [
      { pattern: new RegExp(String.raw`\b(?:${RESUME_VERBS})\b`), points: 5 },
      { pattern: START, points: 2 },
      {
        pattern: /\b(?:spin|start|bring|boot|fire|power|get)\s+(?:\S+\s+)?back\s+(?:up|on|online)\b/,
        points: 5,
      },
    ],
    objects: [{ pattern: /\bstart\b[^.;]*\b(?:again|back)\b/, points: 3 }],
    slots: INSTANCE_ACTION_SLOTS,
    needsAct: true,
    risk: 4,
    // "turn on automatic failover on i-3" turns failover on; it resumes nothing.
    yieldsTo: ['auto_failover'],
    uses: ['instance'],
    inherits: 'instances',
    verb: 'resume',
    build: (ex) => callPerInstance('resume', 'resume', ex),
  },
};
