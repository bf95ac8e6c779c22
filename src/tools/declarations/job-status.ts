import { JOB_TALK } from './run-job.ts';
import type { ToolDeclaration } from './tool-declaration.ts';

/** Permission and cost (issue #20, not enforced yet): reads; costs nothing. */
export const jobStatus: ToolDeclaration = {
  tool: 'job_status',
  can: 'follow, cancel and rerun jobs',
  clauseWords: 'check|status',
  neighbours: ['job_logs', 'cancel_job'],
  examples: [
    { text: 'status of j-4', calls: [{ tool: 'job_status', args: { job: 'j-4' } }] },
    { text: 'how is j-4 doing', calls: [{ tool: 'job_status', args: { job: 'j-4' } }] },
  ],
  topic: { words: JOB_TALK },
};
