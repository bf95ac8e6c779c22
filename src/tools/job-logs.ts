import { jobRef } from '../domain/jobs.ts';
import { loadChannelJob } from './job-view.ts';
import { jobLogsSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

const DEFAULT_LINES = 20;

export const jobLogsTool = defineTool({
  name: 'job_logs',
  description:
    'The last lines a job of this channel printed ("logs of j-4"); the whole log is kept in storage and `gpuops jobs logs j-4` prints it.',
  schema: jobLogsSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const row = await loadChannelJob(services.db, args.job, ctx);
    const ref = jobRef(row.id);
    const wanted = args.lines ?? DEFAULT_LINES;
    const kept = row.log_tail.split('\n');
    // A log ends with a newline; the empty piece after it is not a line.
    if (kept.at(-1) === '') kept.pop();
    const lines = kept.slice(-wanted);
    const whole = `The whole log: \`gpuops jobs logs ${ref}\`.`;
    if (lines.length === 0) {
      const why =
        row.state === 'queued' || row.state === 'starting'
          ? `${ref} is ${row.state}; its command has not printed anything yet.`
          : `${ref} (${row.state}) has printed nothing.`;
      return { text: `${why} ${whole}`, data: { job: ref, state: row.state, lines: [] } };
    }
    const fewer = lines.length < wanted && Number(row.log_bytes) > row.log_tail.length;
    const heading = `Last ${lines.length} line${lines.length === 1 ? '' : 's'} of ${ref} (${row.state})${fewer ? `, all that chat keeps` : ''}:`;
    return {
      text: `${heading}\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n${whole}`,
      data: { job: ref, state: row.state, lines, log_bytes: Number(row.log_bytes) },
    };
  },
});
