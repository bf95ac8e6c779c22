import type { Kysely } from 'kysely';
import { getInstance } from '../../db/repositories/instances.ts';
import type { Database, InstanceRow } from '../../db/schema.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import type { RequestContext } from './tool.ts';

/** Instance ids as people write them, and access to an instance by the channel that owns it. */

export function instanceRef(id: number): string {
  return `i-${id}`;
}

export function parseInstanceRef(ref: string): number {
  const match = /^i-(\d{1,9})$/.exec(ref.trim());
  if (!match) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `"${ref}" is not an instance id. Instance ids look like i-3; say "list my instances" to see yours.`,
    );
  }
  return Number(match[1]);
}

/** Loads an instance the requester's channel owns, or says clearly why it cannot. */
export async function loadOwnedInstance(
  db: Kysely<Database>,
  ref: string,
  ctx: RequestContext,
): Promise<InstanceRow> {
  const id = parseInstanceRef(ref);
  const row = await getInstance(db, id);
  if (!row) {
    throw new GpuopsError(
      ErrorCode.InstanceNotFound,
      `There is no instance ${ref}. Say "list my instances" to see yours.`,
    );
  }
  if (row.channel !== ctx.channel) {
    throw new GpuopsError(
      ErrorCode.InstanceNotYours,
      `${ref} belongs to another channel, so I won't touch it from here. Ask in the channel that deployed it.`,
    );
  }
  return row;
}
