import { JOB_TALK } from './run-job.ts';
import type { ToolDeclaration } from './tool-declaration.ts';

/** Permission and cost (issue #20, not enforced yet): reads; costs nothing. */
export const jobLogs: ToolDeclaration = {
  tool: 'job_logs',
  can: 'follow, cancel and rerun jobs',
  clauseWords: 'logs?|output',
  neighbours: ['job_status'],
  examples: [
    { text: 'logs of j-4', calls: [{ tool: 'job_logs', args: { job: 'j-4' } }] },
    { text: 'show the last 50 lines of j-4', calls: [{ tool: 'job_logs', args: { job: 'j-4', lines: 50 } }] },
  ],
  topic: { words: JOB_TALK },
};
