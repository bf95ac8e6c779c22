import { recordAudit } from '../../db/repositories/audit.ts';
import { updateInstance } from '../../db/repositories/instances.ts';
import { latestCompleteSnapshot } from '../../db/repositories/snapshots.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { type RequestContext, requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatElapsed } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { autoFailoverSchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

async function load(args: { instance: string }, ctx: RequestContext, services: ToolServices) {
  const row = await loadOwnedInstance(services.db, args.instance, ctx);
  if (row.state === 'destroyed') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${instanceRef(row.id)} is destroyed; there is nothing to watch.`,
    );
  }
  return row;
}

export const autoFailoverTool = defineTool({
  name: 'auto_failover',
  description:
    'Turn automatic failover of an instance on or off: when on, the health monitor moves it to a new machine by itself (restoring its latest snapshot) if its machine is lost. Asks for confirmation to turn it on, as that may rent a machine.',
  schema: autoFailoverSchema,
  kind: 'quick',
  async confirmation(args, ctx, services) {
    const row = await load(args, ctx, services);
    if (!args.enabled || row.auto_failover) return null;
    const ref = instanceRef(row.id);
    return `Turn on auto-failover for ${ref}? If its machine is lost, gpuops will rent the cheapest ${row.gpu_count}x ${row.gpu_name} or compatible under its price ceiling, restore its latest snapshot there and release the old one, without asking.`;
  },
  async run(args, ctx, services) {
    const row = await load(args, ctx, services);
    const ref = instanceRef(row.id);
    if (row.auto_failover !== args.enabled) {
      await updateInstance(services.db, row.id, { auto_failover: args.enabled });
      await recordAudit(services.db, {
        actor: requesterName(ctx),
        action: args.enabled ? 'auto-failover-on' : 'auto-failover-off',
        target: ref,
        channel: ctx.channel,
        outcome: 'ok',
        price_per_hour: row.price_per_hour,
        details: null,
      });
    }
    const data = { instance: ref, auto_failover: args.enabled };
    if (!args.enabled) {
      return {
        text: `Auto-failover is off for ${ref}. If its machine is lost I'll say so here and wait for "failover ${ref}".`,
        data,
      };
    }
    const latest = await latestCompleteSnapshot(services.db, row.id, -1);
    const snapshot = latest
      ? `Its latest snapshot is snap-${latest.id}, taken ${formatElapsed(Date.now() - latest.created_at.getTime())} ago; a failover loses what changed since, so "snapshot ${ref} every hour" keeps that short.`
      : `It has no snapshot yet, so a failover would have nothing to restore: say "snapshot ${ref}" now, or "snapshot ${ref} every hour".`;
    return {
      text: `Auto-failover is on for ${ref}: if its machine is lost (the provider calls it dead, or SSH stops answering), I'll move it to a new machine and say so here. ${snapshot}`,
      data,
    };
  },
});
