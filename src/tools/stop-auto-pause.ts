import { recordAudit } from '../../db/repositories/audit.ts';
import {
  getChannelDefault,
  getInstancePolicy,
  getWatch,
  optOutInstance,
  removeChannelDefault,
  removeInstancePolicy,
  restartWatch,
} from '../../db/repositories/idle-policies.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { stopAutoPauseSchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/**
 * "stop auto-pausing i-3" (also when the channel's default would: the instance opts out of it),
 * "stop auto-pausing instances in this channel".
 */
export const stopAutoPauseTool = defineTool({
  name: 'stop_auto_pause',
  description:
    "Stop pausing an instance automatically when idle, or remove this channel's default auto-pause policy.",
  schema: stopAutoPauseSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const { db, config } = services;
    const by = requesterName(ctx);
    if ((args.instance === undefined) === !args.channel_default) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        'Say which: "stop auto-pausing i-3" for one instance, or "stop auto-pausing instances in this channel" for the default.',
      );
    }
    if (args.instance === undefined) {
      const removed = await removeChannelDefault(db, ctx.channel);
      if (removed) {
        await recordAudit(db, {
          actor: by,
          action: 'auto-pause-policy',
          target: null,
          channel: ctx.channel,
          outcome: 'ok',
          price_per_hour: null,
          details: JSON.stringify({ channel_default: false }),
        });
      }
      return {
        text: removed
          ? 'This channel no longer auto-pauses idle instances by default. Instances with a policy of their own keep it.'
          : 'This channel had no default auto-pause policy; nothing changed.',
        data: { channel_default: false, changed: removed },
      };
    }

    const row = await loadOwnedInstance(db, args.instance, ctx);
    const ref = instanceRef(row.id);
    const own = await getInstancePolicy(db, row.id);
    const channelDefault = await getChannelDefault(db, row.channel);
    let changed = false;
    if (channelDefault?.enabled) {
      // Deleting its own policy would leave the channel's default in force: opt it out instead.
      changed = own?.enabled !== false;
      if (changed)
        await optOutInstance(db, row.id, {
          channel: ctx.channel,
          by,
          minUtilization: config.idle.minUtilization,
        });
    } else if (own) {
      changed = await removeInstancePolicy(db, row.id);
    }
    const pending = (await getWatch(db, row.id))?.pause_operation_id;
    await restartWatch(db, row.id);
    if (changed) {
      await recordAudit(db, {
        actor: by,
        action: 'auto-pause-policy',
        target: ref,
        channel: ctx.channel,
        outcome: 'ok',
        price_per_hour: null,
        details: JSON.stringify({ enabled: false }),
      });
    }
    const already = pending
      ? ` A pause it had already started (${pending}) goes ahead; say "resume ${ref}" afterwards if you need it.`
      : '';
    return {
      text: changed
        ? `${ref} will no longer be paused when idle.${already}`
        : `${ref} was not being auto-paused; nothing changed.`,
      data: { instance: ref, changed },
    };
  },
});
