import { JOB_TALK } from './run-job.ts';
import type { ToolDeclaration } from './tool-declaration.ts';

/**
 * Permission and cost (issue #20, not enforced yet): spends money as run_job does: a new job on a
 * rented machine, asked for confirmation first.
 */
export const rerunJob: ToolDeclaration = {
  tool: 'rerun_job',
  can: 'follow, cancel and rerun jobs',
  clauseWords: 'rerun|re-run|retry',
  neighbours: ['job_status', 'run_job'],
  examples: [
    { text: 'rerun j-4 on an H100', calls: [{ tool: 'rerun_job', args: { job: 'j-4', gpu: 'h100-pcie' } }] },
    { text: 'rerun j-4', calls: [{ tool: 'rerun_job', args: { job: 'j-4' } }] },
  ],
  topic: { words: JOB_TALK },
};
