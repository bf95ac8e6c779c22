import type { z } from 'zod';
import { latestCompleteSnapshot } from '../../db/repositories/snapshots.ts';
import { getStandby } from '../../db/repositories/standbys.ts';
import type { InstanceRow, SnapshotRow, StandbyRow } from '../../db/schema.ts';
import { estimateVmHourlyCost } from '../cloud/gcp/machine-cost.ts';
import { gcpNotConfigured } from '../cloud/gcp/standby-vm.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatPrice } from '../format/text.ts';
import { loadOwnedInstance } from './instance-access.ts';
import { assertNotBusy } from './instance-busy.ts';
import { standbySchema } from './schemas.ts';
import { defineTool, type ToolServices } from './tool.ts';

type StandbyArgs = z.output<typeof standbySchema>;

/** States in which the standby has (or is getting) a VM. */
const ON = ['creating', 'ready', 'stopped', 'serving'] as const;

type Checked =
  | { kind: 'enable'; row: InstanceRow; latest: SnapshotRow; machineType: string; spot: boolean }
  | { kind: 'disable'; row: InstanceRow; standby: StandbyRow }
  /** Nothing to do; the text says why. */
  | { kind: 'nothing'; row: InstanceRow; text: string };

/** Every refusal, before asking and again before acting: nothing is asked in vain. */
async function check(args: StandbyArgs, ctx: RequestContext, services: ToolServices): Promise<Checked> {
  const gcp = services.config.gcp;
  if (!gcp) throw gcpNotConfigured();
  const row = await loadOwnedInstance(services.db, args.instance, ctx);
  const ref = instanceRef(row.id);
  const standby = await getStandby(services.db, row.id);
  const on = standby !== undefined && (ON as readonly string[]).includes(standby.state);
  if (!args.enabled) {
    if (args.machine_type !== undefined || args.spot !== undefined) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        'A machine type or spot setting only goes with turning a standby on.',
      );
    }
    if (!standby || standby.state === 'off') {
      return { kind: 'nothing', row, text: `${ref} has no standby; there is nothing to turn off.` };
    }
    if (standby.state === 'serving') {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${ref} runs on its standby ${standby.vm_name} now (no GPU could be had when it failed over); deleting the VM would delete its work. Say "failback ${ref}" to move it back onto a GPU first, or "destroy ${ref}".`,
      );
    }
    await assertNotBusy(services.db, row);
    return { kind: 'disable', row, standby };
  }
  if (row.state === 'destroyed') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${ref} is destroyed; there is nothing to keep a standby of.`,
    );
  }
  await assertNotBusy(services.db, row);
  if (on && standby) {
    const holds = standby.synced_snapshot_id === null ? '' : `, holding snap-${standby.synced_snapshot_id}`;
    return {
      kind: 'nothing',
      row,
      text: `${ref} already has a standby: VM ${standby.vm_name} (${standby.machine_type}${standby.spot ? ', spot' : ''} in ${standby.zone}, ${standby.state}${holds}). "turn off standby for ${ref}" deletes it.`,
    };
  }
  const latest = await latestCompleteSnapshot(services.db, row.id, 0);
  if (!latest) {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${ref} has no snapshot yet, and a standby holds a copy of the latest one. Say "snapshot ${ref}" first, then "enable standby for ${ref}".`,
    );
  }
  return {
    kind: 'enable',
    row,
    latest,
    machineType: args.machine_type ?? gcp.machineType,
    spot: args.spot ?? gcp.spot,
  };
}

export const standbyTool = defineTool({
  name: 'standby',
  description:
    "Turn an instance's CPU standby on or off: a small Google Compute Engine VM that holds a verified copy of the instance's latest snapshot, kept in sync on a schedule, to fail over onto when no GPU can be had. It bills while it exists; asks for confirmation.",
  schema: standbySchema,
  kind: 'job',
  async confirmation(args, ctx, services) {
    const checked = await check(args, ctx, services);
    const ref = instanceRef(checked.row.id);
    if (checked.kind === 'nothing') return null;
    if (checked.kind === 'disable') {
      const holds =
        checked.standby.synced_snapshot_id === null
          ? ''
          : ` (holding snap-${checked.standby.synced_snapshot_id})`;
      return `Delete ${ref}'s standby VM ${checked.standby.vm_name}${holds}? It stops billing; ${ref} and its snapshots are untouched.`;
    }
    const gcp = services.config.gcp!;
    const cost = estimateVmHourlyCost(checked.machineType, checked.spot, gcp.diskGb);
    const price = cost === undefined ? 'at GCP’s price for it' : `about ${formatPrice(cost)}`;
    return `Give ${ref} a CPU standby on GCP: a ${checked.spot ? 'spot ' : ''}VM of type ${checked.machineType} in ${gcp.zone}, ${price} while it exists, holding snap-${checked.latest.id} and kept in sync with ${ref}'s newest snapshot? It bills until you say "turn off standby for ${ref}".`;
  },
  async run(args, ctx, services) {
    const checked = await check(args, ctx, services);
    const ref = instanceRef(checked.row.id);
    if (checked.kind === 'nothing') {
      return { text: checked.text, data: { instance: ref, changed: false } };
    }
    const kind = checked.kind === 'enable' ? 'standby' : 'standby_off';
    const job = await services.operations.enqueue({
      kind,
      args: { ...args },
      context: ctx,
      instanceId: checked.row.id,
    });
    const text =
      checked.kind === 'enable'
        ? `Making a CPU standby for ${ref} with snap-${checked.latest.id}. Operation ${job.operationId}.`
        : `Deleting ${ref}'s standby VM ${checked.standby.vm_name}. Operation ${job.operationId}.`;
    return { text, data: { operation: job.operationId, instance: ref, enabled: args.enabled }, job };
  },
});
