import type { Kysely } from 'kysely';
import { getInstance, settleIdleInstance } from '../../db/repositories/instances.ts';
import { findInFlightOperation } from '../../db/repositories/operations.ts';
import type { Database, InstanceRow } from '../../db/schema.ts';
import type { ProviderInstance } from '../cloud/provider.ts';
import { parseInstanceRef } from '../domain/instance-ref.ts';
import { MOVING_STATES } from '../domain/instance-states.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { asGpuopsError, ErrorCode, GpuopsError } from '../errors.ts';
import type { ToolServices } from './tool.ts';

/** Instance ids as people write them, and access to an instance by the channel that owns it. */

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

/**
 * As loadOwnedInstance, for a request to act on the instance. A record still in a moving state
 * (stopping, starting, …) with no operation queued or running was left so by an operation that
 * ended while the provider could not be reached: the request asks the provider and settles the
 * record first, so it is judged by where the machine really is.
 */
export async function loadCurrentInstance(
  services: Pick<ToolServices, 'db' | 'provider'>,
  ref: string,
  ctx: RequestContext,
): Promise<InstanceRow> {
  const row = await loadOwnedInstance(services.db, ref, ctx);
  if (!MOVING_STATES.includes(row.state) || !row.provider_instance_id) return row;
  if (await findInFlightOperation(services.db, row.id)) return row;
  const since = new Date();
  let machine: ProviderInstance | null;
  try {
    machine = await services.provider.getInstance(row.provider_instance_id);
  } catch (err) {
    const cause = asGpuopsError(err);
    throw new GpuopsError(
      cause.code,
      `${ref} is ${row.state} in gpuops's records, left so by an operation that ended while the provider could not be reached, and the provider still cannot say where its machine is (${cause.message}). Try again in a minute; "list my instances" settles it once the provider answers.`,
      { cause: err, retryable: cause.retryable },
    );
  }
  const settled = await settleIdleInstance(
    services.db,
    row,
    { machine, since },
    { scope: 'moving', heardFrom: 'request' },
  );
  return settled.row;
}
