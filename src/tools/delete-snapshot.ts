import { recordAudit } from '../../db/repositories/audit.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import {
  completeSnapshotsOf,
  markSnapshotDeleted,
  snapshotsBeingRestored,
} from '../../db/repositories/snapshots.ts';
import type { SnapshotRow } from '../../db/schema.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import { type RequestContext, requesterName } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { formatBytes } from '../format/text.ts';
import { deleteSnapshotSchema } from './schemas.ts';
import { loadOwnedSnapshot, snapshotRef } from './snapshot-access.ts';
import { defineTool, type ToolServices } from './tool.ts';

/**
 * The snapshot, if this channel's and finished (checked before asking and again before acting).
 * One being taken or being restored is refused: the first is not done, the second is being read.
 */
async function loadDeletable(ref: string, ctx: RequestContext, services: ToolServices): Promise<SnapshotRow> {
  const snapshot = await loadOwnedSnapshot(services.db, ref, ctx);
  const taking = await getOperation(services.db, snapshot.operation_id);
  if (snapshot.state === 'in_progress' || taking?.state === 'queued' || taking?.state === 'running') {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${ref} is still being taken (operation ${snapshot.operation_id}); delete it once it has finished.`,
    );
  }
  if ((await snapshotsBeingRestored(services.db)).has(ref)) {
    throw new GpuopsError(
      ErrorCode.OperationInFlight,
      `${ref} is being restored right now; delete it once the restore has finished.`,
    );
  }
  return snapshot;
}

function describeBriefly(snapshot: SnapshotRow): string {
  const named = snapshot.name ? ` "${snapshot.name}"` : '';
  const what =
    snapshot.state === 'complete'
      ? `${snapshot.files} files, ${formatBytes(Number(snapshot.bytes))}`
      : 'a failed snapshot';
  return `${snapshotRef(snapshot.id)}${named} of ${instanceRef(snapshot.instance_id)} (${what}, taken ${snapshot.created_at.toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

export const deleteSnapshotTool = defineTool({
  name: 'delete_snapshot',
  description:
    'Delete a snapshot of this channel for good; storage that no other snapshot shares is freed. Asks for confirmation.',
  schema: deleteSnapshotSchema,
  kind: 'quick',
  async confirmation(args, ctx, services) {
    const snapshot = await loadDeletable(args.snapshot, ctx, services);
    const [newest] =
      snapshot.state === 'complete' ? await completeSnapshotsOf(services.db, snapshot.instance_id) : [];
    const last =
      newest?.id === snapshot.id
        ? ` It is the newest complete snapshot of ${instanceRef(snapshot.instance_id)}.`
        : '';
    return `Delete ${describeBriefly(snapshot)}? It can no longer be restored; this cannot be undone.${last}`;
  },
  async run(args, ctx, services) {
    const snapshot = await loadDeletable(args.snapshot, ctx, services);
    const deleted = await markSnapshotDeleted(services.db, snapshot.id);
    if (!deleted) {
      throw new GpuopsError(
        ErrorCode.InvalidState,
        `${args.snapshot} changed while I was asking (it is being taken again or was deleted); nothing was deleted.`,
      );
    }
    await recordAudit(services.db, {
      actor: requesterName(ctx),
      action: 'delete_snapshot',
      target: args.snapshot,
      channel: ctx.channel,
      outcome: 'ok',
      price_per_hour: null,
      details: JSON.stringify({ instance: instanceRef(snapshot.instance_id), state: snapshot.state }),
    });
    services.log.info({ snapshot: args.snapshot, user: ctx.user }, 'snapshot deleted');
    return {
      text: `Deleted ${describeBriefly(snapshot)}. Its storage, except what other snapshots share, is freed by the next clean-up.`,
      data: { snapshot: args.snapshot, instance: instanceRef(snapshot.instance_id), state: 'deleted' },
    };
  },
});
