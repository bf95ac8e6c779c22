import type { ToolReading } from '../declaration.ts';
import { callPerJob, JOB_ACTION_SLOTS, JOB_NOUN } from '../job-calls.ts';

const CANCEL_VERBS = String.raw`cancel|abort|stop|kill|terminate|halt|end|interrupt|call\s+off`;

export const cancelJob: ToolReading = {
  reading: {
    acts: [{ pattern: new RegExp(String.raw`\b(?:${CANCEL_VERBS})\b`), points: 5 }],
    objects: [{ pattern: JOB_NOUN, points: 2 }],
    // "stop i-4" pauses the instance: an instance id leaves no doubt it is not about a job.
    slots: JOB_ACTION_SLOTS.map((cue) => (cue.slots.includes('instance') ? { ...cue, points: -6 } : cue)),
    needsAct: true,
    // Above pause: "stop it" with nothing named stays a pause, as it was before jobs.
    risk: 4,
    uses: ['job'],
    inherits: 'jobs',
    verb: 'cancel',
    build: (ex) => callPerJob('cancel_job', 'cancel', ex),
  },
};
