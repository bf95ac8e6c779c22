import { LOOK } from '../act-words.ts';
import { checked } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { listJobsArgs } from '../job-calls.ts';

export const listJobs: ToolReading = {
  reading: {
    acts: [],
    objects: [
      { pattern: LOOK, points: 1 },
      { pattern: /\b(?:my|our|all|the|any|which|what)\s+(?:\S+\s+)?(?:jobs|training\s+runs)\b/, points: 5 },
      { pattern: /\bjobs\b/, points: 3 },
      { pattern: /\b(?:running|queued|active|finished|failed|ended)\b/, points: 1 },
    ],
    slots: [
      // A job named is asked about on its own ("status of j-4").
      { slots: ['job'], points: -4 },
      { slots: ['instance'], points: -4 },
      { slots: ['snapshot'], points: -6 },
    ],
    risk: 1,
    // "cancel all my jobs", "rerun my jobs": the act, not a list.
    yieldsTo: ['cancel_job', 'rerun_job'],
    uses: [],
    verb: 'list',
    build: (_ex, text) => checked({ tool: 'list_jobs', args: listJobsArgs(text) }),
  },
};
