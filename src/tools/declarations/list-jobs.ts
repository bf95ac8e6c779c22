import { JOB_TALK } from './run-job.ts';
import type { ToolDeclaration } from './tool-declaration.ts';

/** Permission and cost (issue #20, not enforced yet): reads; costs nothing. */
export const listJobs: ToolDeclaration = {
  tool: 'list_jobs',
  can: 'follow, cancel and rerun jobs',
  neighbours: ['job_status'],
  examples: [
    { text: 'list my jobs', calls: [{ tool: 'list_jobs', args: {} }] },
    { text: 'which of my jobs are still running', calls: [{ tool: 'list_jobs', args: { state: 'active' } }] },
  ],
  topic: { words: JOB_TALK },
};
