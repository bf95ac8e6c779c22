import type { Kysely } from 'kysely';
import { describeInFlight, findInFlightOperation } from '../../db/repositories/operations.ts';
import type { Database, InstanceRow } from '../../db/schema.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import type { OperationKind } from '../domain/operations.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';

/**
 * Refuses, with what is under way, when the instance has an operation queued or running: one
 * operation per instance at a time. Queued operations of the kinds in `supersedable` do not
 * count (the new one will cancel them). The database enforces the same rule when the operation is
 * created; this check only lets the answer come before a confirmation is asked in vain.
 */
export async function assertNotBusy(
  db: Kysely<Database>,
  row: InstanceRow,
  supersedable: readonly OperationKind[] = [],
): Promise<void> {
  const busy = await findInFlightOperation(db, row.id);
  if (!busy) return;
  if (busy.state === 'queued' && supersedable.includes(busy.kind)) return;
  throw new GpuopsError(
    ErrorCode.OperationInFlight,
    `${instanceRef(row.id)} is busy: ${describeInFlight(busy)}. Try again when it has finished; "status of ${instanceRef(row.id)}" shows where it is.`,
    { details: { operation: busy.id } },
  );
}
