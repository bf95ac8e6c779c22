import { instanceRef } from '../domain/instance-ref.ts';
import { isJobEnd, jobRef } from '../domain/jobs.ts';
import { formatBytes, formatDuration, formatUsd } from '../format/text.ts';
import { describeLimits, showCommand } from './job-plan.ts';
import { describeJobMachine, jobCostSoFar, jobElapsedMs, loadChannelJob, viewJob } from './job-view.ts';
import { jobStatusSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

export const jobStatusTool = defineTool({
  name: 'job_status',
  description:
    'Where a job of this channel stands ("status of j-4"): state, command, machine, elapsed time, cost so far, limits, attempts, and once ended its exit status, end message and kept artifacts with sizes.',
  schema: jobStatusSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const row = await loadChannelJob(services.db, args.job, ctx);
    const view = await viewJob(services.db, row);
    const { spec } = view;
    const ref = jobRef(row.id);
    const now = Date.now();
    const ended = isJobEnd(row.state);
    const cost = jobCostSoFar(view, now);
    const elapsed = jobElapsedMs(row, now);
    const cancelling =
      !ended && row.cancel_requested_at ? ` (cancel asked by ${row.cancel_requested_by ?? 'someone'})` : '';
    const lines = [
      `${ref}: ${row.state}${cancelling}, started by ${row.owner}${row.rerun_of !== null ? `, a rerun of ${jobRef(row.rerun_of)}` : ''}.`,
      `Command: ${showCommand(spec.command, 300)}${spec.repo ? ` in ${spec.repo.url}${spec.repo.ref ? `@${spec.repo.ref}` : ''}` : ''}`,
      ...(spec.template
        ? [
            `Fine-tune of ${spec.template.model} (${spec.template.method}, ${spec.template.epochs} epoch${spec.template.epochs === 1 ? '' : 's'}) on ${spec.template.dataset}${spec.template.estimated_cost !== undefined ? `, estimated ${formatUsd(spec.template.estimated_cost)}` : ''}.`,
          ]
        : []),
      `Machine: ${describeJobMachine(view)}${spec.target.kind === 'rent' ? ', rented for the job' : ''}.`,
      `${ended ? 'Ran' : 'Elapsed'}: ${formatDuration(elapsed)}; cost ${ended ? '' : 'so far '}${formatUsd(cost)}; ${describeLimits(spec.limits)}.`,
      `Attempt ${Math.max(1, row.attempt)} of ${spec.retries + 1}${spec.retries > 0 ? ` (moves to another machine up to ${spec.retries} time${spec.retries === 1 ? '' : 's'} if its host is lost)` : ''}.`,
      ...(ended
        ? [
            `Ended${row.exit_code !== null ? ` with exit status ${row.exit_code}` : ''}${row.signal ? ` (signal ${row.signal})` : ''}${row.end_message ? `: ${row.end_message}` : '.'}`,
          ]
        : []),
      ...(row.artifacts && row.artifacts.length > 0
        ? [
            `Artifacts (${row.artifacts.length}, ${formatBytes(row.artifacts.reduce((sum, a) => sum + a.bytes, 0))}); \`gpuops jobs artifacts ${ref} --out DIR\` downloads them:`,
            ...row.artifacts.slice(0, 20).map((a) => `  ${a.path}  ${formatBytes(a.bytes)}`),
            ...(row.artifacts.length > 20 ? [`  … and ${row.artifacts.length - 20} more`] : []),
          ]
        : ended
          ? ['No artifacts: nothing was left in $GPUOPS_OUTPUT.']
          : []),
    ];
    return {
      text: lines.join('\n'),
      data: {
        job: ref,
        state: row.state,
        owner: row.owner,
        command: spec.command,
        target: spec.target,
        instance: view.machine ? instanceRef(view.machine.id) : null,
        price_per_hour: view.machine?.price_per_hour ?? null,
        elapsed_seconds: Math.round(elapsed / 1000),
        cost: Math.round(cost * 1000) / 1000,
        limits: spec.limits,
        attempt: row.attempt,
        retries: spec.retries,
        exit_code: row.exit_code,
        end_message: row.end_message,
        artifacts: row.artifacts ?? [],
        cancel_requested_by: row.cancel_requested_by,
      },
    };
  },
});
