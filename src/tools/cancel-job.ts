import { finishJob, jobSpecOf, requestJobCancel } from '../../db/repositories/jobs.ts';
import { cancelQueuedOperations, getOperation } from '../../db/repositories/operations.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { isJobEnd, jobRef } from '../domain/jobs.ts';
import { requesterName } from '../domain/request-context.ts';
import { loadChannelJob } from './job-view.ts';
import { cancelJobSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/**
 * "cancel j-4". A job that has not started is ended at once; a started one is asked to stop, and
 * its handler stops the command, keeps what it made so far and releases a rented machine. Anyone
 * in the job's channel may cancel it, as anyone there may pause or destroy its instances.
 */
export const cancelJobTool = defineTool({
  name: 'cancel_job',
  description:
    'Cancel a job of this channel ("cancel j-4"): one still queued ends at once; a running one stops its command, keeps its artifacts so far and releases its rented machine within seconds.',
  schema: cancelJobSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const { db } = services;
    const row = await loadChannelJob(db, args.job, ctx);
    const ref = jobRef(row.id);
    const by = requesterName(ctx);
    const ended = (state: string) => ({
      text: `${ref} has already ended (${state}); there is nothing to cancel.`,
      data: { job: ref, state, cancelled: false },
    });
    if (isJobEnd(row.state)) return ended(row.state);
    const asked = await requestJobCancel(db, row.id, by);
    if (!asked) return ended((await loadChannelJob(db, args.job, ctx)).state);

    if (asked.state === 'queued') {
      // Not taken by a worker yet: end it now rather than when a worker gets to it. Its queued
      // operation is cancelled with it where the database can do that (one on an instance); a rent
      // job's operation finds the job ended on its first look and ends too.
      const operation = asked.operation_id ? await getOperation(db, asked.operation_id) : undefined;
      if (!operation || operation.state === 'queued') {
        if (operation?.instance_id != null) {
          await cancelQueuedOperations(
            db,
            operation.instance_id,
            ['run_job'],
            `${ref} was cancelled by ${by} before it started.`,
          );
        }
        const finished = await finishJob(db, row.id, {
          state: 'cancelled',
          end_message: `${ref} was cancelled by ${by} before it started; nothing was rented.`,
        });
        if (finished) {
          return {
            text: `${ref} was cancelled before it started; nothing ran and nothing was rented.`,
            data: { job: ref, state: finished.state, cancelled: true, started: false },
          };
        }
      }
    }
    const target = jobSpecOf(asked).target;
    const machine =
      target.kind === 'rent'
        ? 'its rented machine is destroyed within a few seconds'
        : `${instanceRef(target.instance_id)} is left running`;
    return {
      text: `Asked ${ref} to stop: its command is stopped, what it left in $GPUOPS_OUTPUT so far is kept, and ${machine}. Say "status of ${ref}" to see it end.`,
      data: { job: ref, state: asked.state, cancelled: true, started: true },
    };
  },
});
