import { checked } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { callPerJob, JOB_ACTION_SLOTS, JOB_NOUN, listJobsArgs } from '../job-calls.ts';

export const jobStatus: ToolReading = {
  reading: {
    acts: [],
    objects: [
      {
        pattern:
          /\b(?:status|state|progress|doing|going|done|finished|over|how(?:'s|s|\s+is|\s+are|\s+far)|check(?:\s+on)?|cost\s+so\s+far|what'?s\s+up\s+with|tell\s+me\s+about|look\s+at|details?|info)\b/,
        points: 3,
      },
      { pattern: JOB_NOUN, points: 2 },
    ],
    slots: JOB_ACTION_SLOTS,
    risk: 0,
    uses: ['job'],
    inherits: 'jobs',
    verb: 'status of',
    build(ex, text) {
      if (ex.jobs.length > 0) return callPerJob('job_status', 'status of', ex);
      // "status of my jobs", "how are our jobs doing": the list answers it.
      if (/\b(?:jobs|all|every\w*)\b/.test(text))
        return checked({ tool: 'list_jobs', args: listJobsArgs(text) });
      return callPerJob('job_status', 'status of', ex);
    },
  },
};
