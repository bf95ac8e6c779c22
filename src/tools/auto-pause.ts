import type { Kysely } from 'kysely';
import { recordAudit } from '../../db/repositories/audit.ts';
import {
  effectivePolicy,
  getChannelDefault,
  getInstancePolicy,
  getWatch,
  isSnoozed,
  removeInstancePolicy,
  restartWatch,
  setChannelDefault,
  setInstancePolicy,
} from '../../db/repositories/idle-policies.ts';
import type { Database, InstanceRow } from '../../db/schema.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { type RequestContext, requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatDuration } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { autoPauseSchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

/**
 * "pause i-3 when idle for 15 minutes", "auto-pause idle instances in this channel after 30
 * minutes", "auto-pause i-3 again": sets the policy the idle check (src/jobs/upkeep/idle-check.ts)
 * follows. Setting one starts the instance's watch afresh, ending any "keep it running".
 */
export const autoPauseTool = defineTool({
  name: 'auto_pause',
  description:
    'Pause an instance automatically when its GPUs have been idle (under a utilisation threshold) for a time; the channel is warned first and can say "keep i-3 running". For one instance, or as the default for every instance of this channel.',
  schema: autoPauseSchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const { db, config } = services;
    if (args.instance !== undefined && args.channel_default) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        'Name one instance ("auto-pause i-3 after 20 minutes idle") or set the channel default ("auto-pause idle instances in this channel after 30 minutes"), not both at once.',
      );
    }
    const minUtilization = args.min_utilization ?? config.idle.minUtilization;
    const by = requesterName(ctx);
    if (args.instance === undefined) {
      if (!args.channel_default) {
        throw new GpuopsError(
          ErrorCode.BadInput,
          'Which instance? Say "auto-pause i-3 after 20 minutes idle", or "auto-pause idle instances in this channel after 30 minutes" for all of them.',
        );
      }
      if (args.idle_minutes === undefined) throw missingWindow('idle instances in this channel');
      await setChannelDefault(db, {
        channel: ctx.channel,
        idleMinutes: args.idle_minutes,
        minUtilization,
        by,
      });
      await audit(db, ctx, null, {
        channel_default: true,
        idle_minutes: args.idle_minutes,
        min_utilization: minUtilization,
      });
      return {
        text:
          `Instances of this channel without a policy of their own will be paused when their GPUs have been under ${minUtilization}% for ${formatDuration(args.idle_minutes * 60_000)}. ` +
          `${warningTerms(services, 'i-N')}${checkOff(services)}`,
        data: { channel_default: true, idle_minutes: args.idle_minutes, min_utilization: minUtilization },
      };
    }

    const row = await loadOwnedInstance(db, args.instance, ctx);
    const ref = instanceRef(row.id);
    if (row.state === 'destroyed' || row.state === 'destroying') {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${ref} is ${row.state}; there is nothing to auto-pause.`,
      );
    }
    if (args.idle_minutes === undefined) return turnBackOn(services, row, ctx);
    await setInstancePolicy(db, row.id, {
      channel: ctx.channel,
      idleMinutes: args.idle_minutes,
      minUtilization,
      by,
    });
    await restartWatch(db, row.id);
    await audit(db, ctx, ref, { idle_minutes: args.idle_minutes, min_utilization: minUtilization });
    return {
      text:
        `${ref} will be paused when its GPUs have been under ${minUtilization}% for ${formatDuration(args.idle_minutes * 60_000)}. ` +
        `${warningTerms(services, ref)}${notRunning(row)}${checkOff(services)}`,
      data: { instance: ref, idle_minutes: args.idle_minutes, min_utilization: minUtilization },
    };
  },
});

/** "auto-pause i-3 again": ends a "keep it running" or an opt-out, back to the policy that applies. */
async function turnBackOn(services: ToolServices, row: InstanceRow, ctx: RequestContext) {
  const { db } = services;
  const ref = instanceRef(row.id);
  const own = await getInstancePolicy(db, row.id);
  const channelDefault = await getChannelDefault(db, row.channel);
  const wasSnoozed = isSnoozed(await getWatch(db, row.id), new Date());
  if (own && !own.enabled) await removeInstancePolicy(db, row.id);
  const policy = effectivePolicy(own?.enabled ? own : undefined, channelDefault);
  if (!policy) throw missingWindow(ref);
  await restartWatch(db, row.id);
  await audit(db, ctx, ref, { resumed: true, was_snoozed: wasSnoozed });
  const from = policy.source === 'channel' ? " (this channel's default)" : '';
  return {
    text:
      `${ref} is auto-paused again${from}: when its GPUs have been under ${policy.minUtilization}% for ${formatDuration(policy.idleMinutes * 60_000)}. ` +
      `${warningTerms(services, ref)}${notRunning(row)}${checkOff(services)}`,
    data: {
      instance: ref,
      idle_minutes: policy.idleMinutes,
      min_utilization: policy.minUtilization,
      source: policy.source,
    },
  };
}

function missingWindow(what: string): GpuopsError {
  return new GpuopsError(
    ErrorCode.BadInput,
    `After how long idle? Say e.g. "auto-pause ${what} after 20 minutes".`,
  );
}

function warningTerms(services: ToolServices, ref: string): string {
  return `I'll warn this channel ${formatDuration(services.config.idle.graceMs)} before pausing; "keep ${ref} running" holds it off.`;
}

function notRunning(row: InstanceRow): string {
  return row.state === 'running' ? '' : ` It is ${row.state} now; the watch starts once it runs.`;
}

function checkOff(services: ToolServices): string {
  return services.config.idle.checkIntervalMs > 0
    ? ''
    : ' Note: the idle check is turned off in this gpuops (GPUOPS_IDLE_CHECK_INTERVAL_MS=0), so nothing is paused until it is on.';
}

async function audit(
  db: Kysely<Database>,
  ctx: RequestContext,
  target: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await recordAudit(db, {
    actor: requesterName(ctx),
    action: 'auto-pause-policy',
    target,
    channel: ctx.channel,
    outcome: 'ok',
    price_per_hour: null,
    details: JSON.stringify(details),
  });
}
