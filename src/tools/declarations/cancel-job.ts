import { JOB_TALK } from './run-job.ts';
import type { ToolDeclaration } from './tool-declaration.ts';

/**
 * Permission and cost (issue #20, not enforced yet): operates on a job; saves money (its rented
 * machine is released), and what the job made so far is kept.
 */
export const cancelJob: ToolDeclaration = {
  tool: 'cancel_job',
  can: 'follow, cancel and rerun jobs',
  clauseWords: 'cancel|abort',
  neighbours: ['job_status'],
  examples: [
    { text: 'cancel j-4', calls: [{ tool: 'cancel_job', args: { job: 'j-4' } }] },
    { text: 'stop job j-4', calls: [{ tool: 'cancel_job', args: { job: 'j-4' } }] },
  ],
  topic: { words: JOB_TALK },
};
