import { listJobs } from '../../db/repositories/jobs.ts';
import { JOB_ENDS, type JobState, jobRef } from '../domain/jobs.ts';
import { formatDuration, formatUsd, renderTable } from '../format/text.ts';
import { jobCostSoFar, jobMachineCell, viewJob } from './job-view.ts';
import { listJobsSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const ACTIVE: readonly JobState[] = ['queued', 'starting', 'running'];
const LIST_LIMIT = 20;
const COMMAND_WIDTH = 40;

function shorten(command: string): string {
  const flat = command.replace(/\s+/g, ' ').trim();
  return flat.length > COMMAND_WIDTH ? `${flat.slice(0, COMMAND_WIDTH - 1)}…` : flat;
}

export const listJobsTool = defineTool({
  name: 'list_jobs',
  description:
    'List the requester\'s jobs in this channel, newest first ("list my jobs"): state, command, machine, cost and age.',
  schema: listJobsSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const which = args.state ?? 'all';
    const states = which === 'active' ? ACTIVE : which === 'ended' ? JOB_ENDS : undefined;
    const rows = await listJobs(services.db, {
      channel: ctx.channel,
      owner: ctx.user,
      ...(states && { states }),
      limit: LIST_LIMIT,
    });
    if (rows.length === 0) {
      return {
        text: `You have no ${which === 'all' ? '' : `${which} `}jobs in this channel. Say "run \`python train.py\` on a 4090" to start one.`,
        data: { jobs: [] },
      };
    }
    const now = Date.now();
    const views = await Promise.all(rows.map((row) => viewJob(services.db, row)));
    const jobs = views.map((view) => ({
      job: jobRef(view.row.id),
      state: view.row.state,
      command: view.spec.command,
      machine: jobMachineCell(view),
      cost: Math.round(jobCostSoFar(view, now) * 1000) / 1000,
      created_at: view.row.created_at.toISOString(),
    }));
    const table = renderTable(
      ['job', 'state', 'command', 'machine', 'cost', 'age'],
      views.map((view, i) => [
        jobs[i]!.job,
        view.row.state,
        shorten(view.spec.command),
        jobs[i]!.machine,
        formatUsd(jobs[i]!.cost),
        formatDuration(now - view.row.created_at.getTime()),
      ]),
    );
    const more = rows.length === LIST_LIMIT ? ` (the newest ${LIST_LIMIT})` : '';
    return {
      text: `${rows.length} ${which === 'all' ? '' : `${which} `}job${rows.length === 1 ? '' : 's'} of yours${more}:\n\`\`\`\n${table}\n\`\`\`\nSay "status of ${jobs[0]!.job}" for one in full.`,
      data: { jobs },
    };
  },
});
