import { recordAudit } from '../../db/repositories/audit.ts';
import {
  effectivePolicy,
  getChannelDefault,
  getInstancePolicy,
  getWatch,
  snoozeInstance,
} from '../../db/repositories/idle-policies.ts';
import { getOperation, IN_FLIGHT } from '../../db/repositories/operations.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatDuration } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { keepRunningSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/**
 * "keep i-3 running" (the answer to the idle check's warning), "keep i-3 running for 3 hours",
 * "keep i-3 running until I say otherwise": holds off auto-pause for a while, ending the current
 * idle episode; afterwards the instance needs a whole idle window again before the next warning.
 */
export const keepRunningTool = defineTool({
  name: 'keep_running',
  description:
    'Hold off auto-pause of an idle instance (the answer to "it will be paused unless someone says keep i-3 running"), for a time or until said otherwise.',
  schema: keepRunningSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const { db, config } = services;
    if (args.minutes !== undefined && args.until_further_notice) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        'Either for a time ("keep i-3 running for 3 hours") or until further notice, not both.',
      );
    }
    const row = await loadOwnedInstance(db, args.instance, ctx);
    const ref = instanceRef(row.id);
    const watch = await getWatch(db, row.id);
    const pause = watch?.pause_operation_id ? await getOperation(db, watch.pause_operation_id) : undefined;
    if (pause && IN_FLIGHT.includes(pause.state)) {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `Too late: ${ref} is already being paused (${pause.id}). Say "resume ${ref}" once it has stopped.`,
      );
    }
    if (row.state !== 'running') {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${ref} is ${row.state}, not running, so there is nothing to keep running. Say "resume ${ref}" to start it.`,
      );
    }
    const policy = effectivePolicy(
      await getInstancePolicy(db, row.id),
      await getChannelDefault(db, row.channel),
    );
    if (!policy) {
      return {
        text: `${ref} is not auto-paused, so it keeps running anyway; nothing changed.`,
        data: { instance: ref, changed: false },
      };
    }
    const forMs = args.until_further_notice ? null : (args.minutes ?? 0) * 60_000 || config.idle.snoozeMs;
    const until = forMs === null ? null : new Date(Date.now() + forMs);
    await snoozeInstance(db, row.id, until, requesterName(ctx));
    await recordAudit(db, {
      actor: requesterName(ctx),
      action: 'keep-running',
      target: ref,
      channel: ctx.channel,
      outcome: 'ok',
      price_per_hour: row.price_per_hour,
      details: JSON.stringify({ until: until?.toISOString() ?? null }),
    });
    const window = formatDuration(policy.idleMinutes * 60_000);
    return {
      text:
        until === null
          ? `OK, ${ref} keeps running: no auto-pause until someone says "auto-pause ${ref} again".`
          : `OK, ${ref} keeps running: no auto-pause for ${formatDuration(forMs!)} (until ${until.toISOString().slice(0, 16).replace('T', ' ')} UTC); after that it is paused only once its GPUs have been idle for ${window} again, with a warning first. Say "auto-pause ${ref} again" to end this sooner.`,
      data: { instance: ref, until: until?.toISOString() ?? null, changed: true },
    };
  },
});
