import { checked, compact } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { JOB_ACTION_SLOTS, JOB_NOUN, logLines, missingJob } from '../job-calls.ts';

export const jobLogs: ToolReading = {
  reading: {
    acts: [{ pattern: /\btail\b/, points: 4 }],
    objects: [
      { pattern: /\b(?:logs?|output|stdout|stderr|printed|prints|printing|console|lines?)\b/, points: 4 },
      { pattern: JOB_NOUN, points: 1 },
    ],
    // A job named alone ("j-4?") asks for its status; its log needs a word of its own.
    slots: JOB_ACTION_SLOTS.map((cue) => (cue.slots.includes('job') ? { ...cue, points: 2 } : cue)),
    risk: 0,
    uses: ['job'],
    inherits: 'jobs',
    verb: 'logs of',
    build(ex, text) {
      const [job, ...others] = ex.jobs;
      if (job === undefined) return { kind: 'clarify', message: missingJob('logs of') };
      if (others.length > 0) {
        return {
          kind: 'clarify',
          message: `One log at a time: say e.g. "logs of ${job}", then "logs of ${others[0]}".`,
        };
      }
      return checked({
        tool: 'job_logs',
        args: compact({ job, lines: logLines(text) ?? (/\blines?\b/.test(text) ? ex.limit : undefined) }),
      });
    },
  },
};
