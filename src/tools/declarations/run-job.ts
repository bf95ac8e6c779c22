import type { ToolDeclaration } from './tool-declaration.ts';

/**
 * Words that put a request on the jobs' topic: a job, its id, its log or artifacts, a script. Not
 * "run" or "output" alone: "keep i-3 running" is about idling, not jobs.
 */
export const JOB_TALK = /\b(?:jobs?|j-\d+|logs?|scripts?|artifacts?|re-?run)\b/i;

/**
 * Permission and cost (issue #20, not enforced yet): spends money. A job on a rented machine bills
 * from the rent until the job ends (bounded by its limits) and asks for confirmation; a job on an
 * existing instance runs on what the channel already pays for.
 */
export const runJob: ToolDeclaration = {
  tool: 'run_job',
  can: 'run a command or script as a job on a rented GPU (released after) or an instance',
  clauseWords: 'run|execute',
  neighbours: ['job_status', 'job_logs', 'search_offers'],
  examples: [
    {
      text: 'run `python train.py --epochs 3` on a 4090 and destroy it after',
      calls: [{ tool: 'run_job', args: { command: 'python train.py --epochs 3', gpu: 'rtx-4090' } }],
    },
    {
      text: 'run `python train.py` on the cheapest GPU with 24 GB, stop after 2 hours or $5',
      calls: [
        {
          tool: 'run_job',
          args: { command: 'python train.py', min_gpu_ram_gb: 24, max_hours: 2, max_cost: 5 },
        },
      ],
    },
    {
      text: 'run `python train.py` from github.com/org/repo@main on 2x A100',
      calls: [
        {
          tool: 'run_job',
          args: { command: 'python train.py', repo: 'github.com/org/repo@main', gpu: 'a100-40gb', count: 2 },
        },
      ],
    },
    {
      text: 'run `bash eval.sh` on i-3',
      calls: [{ tool: 'run_job', args: { command: 'bash eval.sh', instance: 'i-3' } }],
    },
  ],
  topic: { words: JOB_TALK },
};
