import { recordAudit } from '../../db/repositories/audit.ts';
import { updateInstance } from '../../db/repositories/instances.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatElapsed, formatPrice } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { instanceAction } from './instance-action.ts';
import { hibernateSchema, hibernationPolicySchema } from './schemas.ts';
import { defineTool } from './tool.ts';

/**
 * Hibernation: an instance's workspace is snapshotted and its machine released, so neither GPU nor
 * disk bills; "resume" wakes it on a new machine with the workspace restored. `hibernate` does it
 * now; `hibernation_policy` makes it happen after the instance has been paused for a while.
 */

const hibernating = instanceAction({
  from: ['running', 'stopped'],
  refusal: (ref, state) =>
    state === 'hibernated'
      ? `${ref} is already hibernated; say "resume ${ref}" to wake it.`
      : `${ref} is ${state}; only a running or paused instance can hibernate.${state === 'failed' ? ` Its machine is dead: "failover ${ref}" moves it, "destroy ${ref}" releases it.` : ''}`,
});

export const hibernateTool = defineTool({
  name: 'hibernate',
  description:
    'Hibernate an instance now: snapshot its workspace (a paused one is started briefly for that), then release its machine so neither GPU nor disk bills. It keeps its id; resume wakes it on the best matching offer. Asks for confirmation.',
  schema: hibernateSchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const row = await hibernating.load(services, args.instance, ctx);
    const ref = instanceRef(row.id);
    const start =
      row.state === 'stopped'
        ? ' It is paused, so its machine is started for a few minutes to read the workspace.'
        : '';
    return `Hibernate ${ref} (${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}, ${row.state})? Its workspace is snapshotted, then its machine is released for good.${start} "resume ${ref}" later rents the best matching offer and restores the workspace there.`;
  },
  async run(args, ctx, services) {
    const row = await hibernating.load(services, args.instance, ctx);
    return hibernating.start(services, ctx, row, {
      kind: 'hibernate',
      args: { instance: instanceRef(row.id), reason: 'requested' },
      answer: `Hibernating ${instanceRef(row.id)}.`,
    });
  },
});

export const hibernationPolicyTool = defineTool({
  name: 'hibernation_policy',
  description:
    'Make an instance hibernate by itself once it has been paused for a given number of minutes (null turns that off). Hibernation snapshots the workspace and releases the machine, so its disk stops billing.',
  schema: hibernationPolicySchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const row = await loadOwnedInstance(services.db, args.instance, ctx);
    const ref = instanceRef(row.id);
    if (row.state === 'destroyed') {
      throw new GpuopsError(ErrorCode.InvalidState, `${ref} is destroyed; there is nothing to hibernate.`);
    }
    const afterMs = args.after_minutes === null ? null : args.after_minutes * 60_000;
    await updateInstance(services.db, row.id, { hibernate_after_ms: afterMs });
    await recordAudit(services.db, {
      actor: requesterName(ctx),
      action: afterMs === null ? 'hibernation-off' : 'hibernation-on',
      target: ref,
      channel: ctx.channel,
      outcome: 'ok',
      price_per_hour: row.price_per_hour,
      details: JSON.stringify({ after_minutes: args.after_minutes }),
    });
    const data = { instance: ref, hibernate_after_minutes: args.after_minutes };
    if (afterMs === null) {
      return {
        text: `${ref} will not hibernate by itself any more; paused, it keeps its machine and disk.`,
        data,
      };
    }
    const now =
      row.state === 'stopped' && row.stopped_at
        ? ` It has been paused for ${formatElapsed(Date.now() - row.stopped_at.getTime())}.`
        : '';
    return {
      text: `${ref} will hibernate once it has been paused for ${formatElapsed(afterMs)}: its workspace is snapshotted and its machine released, so its disk stops billing; "resume ${ref}" wakes it on the best matching offer.${now}`,
      data,
    };
  },
});
