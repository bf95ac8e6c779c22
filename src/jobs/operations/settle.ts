import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { failoverOfOperation } from '../../../db/repositories/failovers.ts';
import {
  deleteUnrentedInstance,
  findInstanceByOperation,
  getInstance,
  hibernatedColumns,
  settledColumns,
  updateInstance,
} from '../../../db/repositories/instances.ts';
import { snapshotOfOperation } from '../../../db/repositories/snapshots.ts';
import type { Database, InstanceRow, OperationRow } from '../../../db/schema.ts';
import type { GpuProvider } from '../../cloud/provider.ts';
import type { SshKeyPair } from '../../cloud/ssh/ssh-keys.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { settleFailedJob } from './job-release.ts';
import { deployLabel } from './rental-label.ts';

/**
 * What an operation that did not succeed leaves behind, whichever way it ended (its own error,
 * BullMQ giving up on it, a job removed): never a record in a moving state, never a machine that
 * bills unseen. Records follow the provider; a failed deploy releases the machine it rented.
 */

export interface SettleServices {
  db: Kysely<Database>;
  provider: GpuProvider;
  log: Logger;
  /** To stop a job's command on an instance that is not released. */
  sshKey?: SshKeyPair;
}

/** Makes the record say what the provider says of its machine (a record with no machine is left as is). */
export async function settleInstance(services: SettleServices, row: InstanceRow): Promise<InstanceRow> {
  if (!row.provider_instance_id) return row;
  const live = await services.provider.getInstance(row.provider_instance_id);
  return updateInstance(services.db, row.id, settledColumns(row, live));
}

/**
 * Settles what a failed operation touched and returns one sentence for the person who asked,
 * saying where things stand and what they can do. Throws only when the provider cannot be reached;
 * the reconciler then finishes the job on a later pass.
 */
export async function settleAfterFailure(
  services: SettleServices,
  operation: OperationRow,
  error: { code: string; message: string },
): Promise<string> {
  if (operation.kind === 'deploy') return releaseFailedDeploy(services, operation);
  // A job releases its machines itself; this ends one that could not, and releases what it rented.
  if (operation.kind === 'run_job') return settleFailedJob(services, operation, error);
  if (operation.kind === 'hibernate') {
    const hibernated = await finishHalfDoneHibernation(services, operation);
    if (hibernated) return hibernated;
  }
  // A standby's job never touches the instance's machine; it says itself what became of its VM.
  if (operation.kind === 'standby' || operation.kind === 'standby_off') return '';
  const released = operation.kind === 'failover' ? await releaseFailedReplacement(services, operation) : '';
  const row =
    operation.instance_id === null ? undefined : await getInstance(services.db, operation.instance_id);
  if (!row) return released;
  const settled = await settleInstance(services, row);
  return [whereItStands(settled), released].filter(Boolean).join(' ');
}

/**
 * A hibernation that stored its snapshot and released the machine, but ended before writing so,
 * is a hibernation: the record says `hibernated` rather than a `destroyed` that would hide the
 * snapshot it can be woken from.
 */
async function finishHalfDoneHibernation(
  services: SettleServices,
  operation: OperationRow,
): Promise<string | undefined> {
  const row =
    operation.instance_id === null ? undefined : await getInstance(services.db, operation.instance_id);
  const snapshot = await snapshotOfOperation(services.db, operation.id);
  if (!row?.provider_instance_id || snapshot?.state !== 'complete') return undefined;
  if (await services.provider.getInstance(row.provider_instance_id)) return undefined;
  await updateInstance(services.db, row.id, hibernatedColumns(new Date()));
  return `${instanceRef(row.id)}'s workspace is in snap-${snapshot.id} and its machine is gone, so it is hibernated; say "resume ${instanceRef(row.id)}" to wake it.`;
}

/**
 * A failover that did not move its instance releases the replacement it rented (found by the
 * operation's label when the rental's answer was lost); the instance stays on its old machine.
 */
async function releaseFailedReplacement(services: SettleServices, operation: OperationRow): Promise<string> {
  const { db, provider, log } = services;
  const failover = await failoverOfOperation(db, operation.id);
  if (failover?.moved_at) return '';
  const providerId =
    failover?.new_provider_instance_id ??
    (await provider.listInstances()).find((i) => i.label === deployLabel(operation.id))?.id;
  if (!providerId) return 'No replacement was rented, so nothing new bills.';
  try {
    if (await provider.getInstance(providerId)) await provider.destroyInstance(providerId);
  } catch (err) {
    log.error(
      { op: operation.id, providerId, err },
      'could not release the replacement of a failed failover',
    );
    return `Releasing the replacement machine ${providerId} failed too; gpuops's reconciler will release it.`;
  }
  return `The replacement machine ${providerId} was released, so nothing new bills.`;
}

/** The state of an instance after a failed operation, and what can be done from there. */
export function whereItStands(row: InstanceRow): string {
  const ref = instanceRef(row.id);
  switch (row.state) {
    case 'running':
      return `${ref} is running, as the provider says; you can pause or destroy it.`;
    case 'stopped':
      return `${ref} is paused (stopped), as the provider says; you can resume or destroy it.`;
    case 'provisioning':
    case 'starting':
      return `${ref} is still starting at the provider; you can destroy it, or check "status of ${ref}" in a minute.`;
    case 'failed':
      return `${ref}'s machine is ${row.provider_status ?? 'dead'} at the provider and will not come back; say "destroy ${ref}" so its disk stops billing.`;
    case 'destroyed':
      return `${ref}'s machine no longer exists at the provider, so nothing bills.`;
    default:
      return `${ref} is ${row.state}.`;
  }
}

async function releaseFailedDeploy(services: SettleServices, operation: OperationRow): Promise<string> {
  const { db, provider, log } = services;
  let row = await findInstanceByOperation(db, operation.id);
  if (row?.state === 'destroyed') return 'The machine it rented was released, so nothing bills.';
  let providerId = row?.provider_instance_id ?? undefined;
  if (!providerId) {
    // The rental may have gone through without gpuops hearing the answer: its label tells.
    const found = (await provider.listInstances()).find((i) => i.label === deployLabel(operation.id));
    if (!found) {
      if (row) await deleteUnrentedInstance(db, row.id, operation.id);
      return 'No machine was rented, so nothing bills.';
    }
    providerId = found.id;
    if (row)
      row = await updateInstance(db, row.id, {
        provider_instance_id: found.id,
        provider_status: found.status,
      });
  }
  try {
    await provider.destroyInstance(providerId);
  } catch (err) {
    log.error({ op: operation.id, providerId, err }, 'could not release the machine of a failed deploy');
    if (row) await settleInstance(services, row).catch(() => undefined);
    const ref = row ? instanceRef(row.id) : `the machine ${providerId}`;
    return `Releasing the machine it rented failed too, so ${ref} may still bill: gpuops will try again on its next check, or say "destroy ${ref}".`;
  }
  if (row) row = await settleInstance(services, row);
  if (row && row.state !== 'destroyed') {
    return `I asked the provider to release the machine it rented; it still lists it (${row.provider_status}), and gpuops will make sure it goes.`;
  }
  return 'The machine it rented was released, so nothing bills.';
}
