import type { Kysely } from 'kysely';
import { getSnapshot } from '../../db/repositories/snapshots.ts';
import type { Database, SnapshotRow } from '../../db/schema.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';

/** Snapshot ids as people write them, and access to a snapshot by the channel that took it. */

export function snapshotRef(id: number): string {
  return `snap-${id}`;
}

/**
 * Loads a snapshot the requester's channel took. Another channel's snapshot and a deleted one are
 * answered as unknown: a channel learns nothing about what it cannot use.
 */
export async function loadOwnedSnapshot(
  db: Kysely<Database>,
  ref: string,
  ctx: RequestContext,
): Promise<SnapshotRow> {
  const match = /^snap-(\d{1,9})$/.exec(ref.trim());
  const snapshot = match ? await getSnapshot(db, Number(match[1])) : undefined;
  if (!snapshot || snapshot.channel !== ctx.channel || snapshot.state === 'deleted') {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `There is no snapshot ${ref} in this channel. "list snapshots" shows them.`,
    );
  }
  return snapshot;
}
