import { recordAudit } from '../../db/repositories/audit.ts';
import {
  getSnapshotPolicy,
  setSnapshotKeep,
  setSnapshotSchedule,
  stopSnapshotSchedule,
} from '../../db/repositories/snapshot-policies.ts';
import { completeSnapshotsOf } from '../../db/repositories/snapshots.ts';
import type { InstanceRow, SnapshotPolicyRow } from '../../db/schema.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { type RequestContext, requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { snapshotPolicySchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

/** "every hour", "every 30 minutes", "every 2 days". */
export function describeInterval(minutes: number): string {
  const [value, unit] =
    minutes % 1440 === 0
      ? [minutes / 1440, 'day']
      : minutes % 60 === 0
        ? [minutes / 60, 'hour']
        : [minutes, 'minute'];
  return value === 1 ? `every ${unit}` : `every ${value} ${unit}s`;
}

function utc(date: Date): string {
  return `${date.toISOString().slice(11, 16)} UTC${date.getTime() - Date.now() > 20 * 3_600_000 ? ` on ${date.toISOString().slice(0, 10)}` : ''}`;
}

function keepText(keep: number, own: boolean): string {
  const whose = own ? '' : ' (the default)';
  return keep > 0
    ? `keeping its last ${keep} complete snapshots${whose}`
    : `keeping all its snapshots${whose}`;
}

/** Where the instance's policy stands, in one sentence. */
function describePolicy(
  row: InstanceRow,
  policy: SnapshotPolicyRow | undefined,
  defaultKeep: number,
): string {
  const ref = instanceRef(row.id);
  const keep = policy?.keep_last ?? defaultKeep;
  const schedule =
    policy?.every_minutes && policy.schedule_anchor
      ? `snapshotted ${describeInterval(policy.every_minutes)}`
      : 'not snapshotted on a schedule';
  return `${ref} is ${schedule}, ${keepText(keep, policy?.keep_last != null)}.`;
}

async function audit(services: ToolServices, ctx: RequestContext, row: InstanceRow, details: object) {
  await recordAudit(services.db, {
    actor: requesterName(ctx),
    action: 'snapshot_policy',
    target: instanceRef(row.id),
    channel: ctx.channel,
    outcome: 'ok',
    price_per_hour: null,
    details: JSON.stringify(details),
  });
}

export const snapshotPolicyTool = defineTool({
  name: 'snapshot_policy',
  description:
    "Set an instance's snapshot schedule (every N minutes, or stop it) and how many of its snapshots to keep; with neither, show them.",
  schema: snapshotPolicySchema,
  kind: 'quick',
  async run(args, ctx, services) {
    const row = await loadOwnedInstance(services.db, args.instance, ctx);
    const ref = instanceRef(row.id);
    if (args.every_minutes !== undefined && args.stop_schedule) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `Set a schedule for ${ref} or stop it, not both at once; nothing was changed.`,
      );
    }
    const owner = {
      instanceId: row.id,
      channel: ctx.channel,
      requester: requesterName(ctx),
      replyTo: ctx.replyTo,
    };
    const said: string[] = [];
    if (args.every_minutes !== undefined) {
      if (row.state === 'destroyed') {
        throw new GpuopsError(
          ErrorCode.InvalidState,
          `${ref} is destroyed, so there is nothing to snapshot; nothing was changed.`,
        );
      }
      const anchor = new Date();
      await setSnapshotSchedule(services.db, owner, args.every_minutes, anchor);
      const first = new Date(anchor.getTime() + args.every_minutes * 60_000);
      said.push(
        `Snapshotting ${ref} ${describeInterval(args.every_minutes)}, the first at ${utc(first)}${row.state === 'running' ? '' : ` (while it runs; it is ${row.state} now)`}. Scheduled snapshots post nothing here unless one fails.`,
      );
    }
    if (args.stop_schedule) {
      const stopped = await stopSnapshotSchedule(services.db, row.id);
      said.push(
        stopped
          ? `Stopped snapshotting ${ref} ${describeInterval(stopped.everyMinutes)}. Its snapshots stay.`
          : `${ref} had no snapshot schedule; nothing to stop.`,
      );
    }
    if (args.keep_last !== undefined) {
      await setSnapshotKeep(services.db, owner, args.keep_last);
      const complete = await completeSnapshotsOf(services.db, row.id);
      const beyond = args.keep_last > 0 ? complete.slice(args.keep_last) : [];
      said.push(
        `${args.keep_last > 0 ? `Keeping the last ${args.keep_last} complete snapshots of ${ref}` : `Keeping every snapshot of ${ref}`}.${
          beyond.length > 0
            ? ` After its next snapshot, ${beyond.map((s) => `snap-${s.id}`).join(', ')} ${beyond.length === 1 ? 'is' : 'are'} deleted.`
            : ''
        }`,
      );
    }
    if (said.length > 0) await audit(services, ctx, row, args);
    const policy = await getSnapshotPolicy(services.db, row.id);
    const data = {
      instance: ref,
      every_minutes: policy?.every_minutes ?? null,
      keep_last: policy?.keep_last ?? services.config.snapshotKeep,
      keep_last_is_default: policy?.keep_last == null,
    };
    if (said.length === 0) said.push(describePolicy(row, policy, services.config.snapshotKeep));
    return { text: said.join(' '), data };
  },
});
