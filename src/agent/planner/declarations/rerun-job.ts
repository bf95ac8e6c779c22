import type { ToolReading } from '../declaration.ts';
import { JOB_ACTION_SLOTS, JOB_NOUN, rerunPlan } from '../job-calls.ts';

const RERUN_VERBS = String.raw`re-?run|re-?try|re-?submit|re-?launch|re-?start|repeat|run\s+(?:\S+\s+){0,3}?(?:again|once\s+more)|do\s+(?:\S+\s+){0,2}?again`;

export const rerunJob: ToolReading = {
  reading: {
    acts: [{ pattern: new RegExp(String.raw`\b(?:${RERUN_VERBS})\b`), points: 6 }],
    objects: [{ pattern: JOB_NOUN, points: 2 }],
    slots: [
      ...JOB_ACTION_SLOTS.filter((cue) => !cue.slots.includes('instance')),
      { slots: ['gpu', 'count'], points: 1 },
    ],
    needsAct: true,
    risk: 5,
    // Not 'instance': "restart i-3" resumes it; with 'instance' it would be asked which of the two.
    uses: ['job', 'count'],
    inherits: 'jobs',
    verb: 'rerun',
    build: rerunPlan,
  },
};
