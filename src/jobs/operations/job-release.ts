import {
  findInstanceByLabel,
  getInstance,
  settledColumns,
  updateInstance,
} from '../../../db/repositories/instances.ts';
import { finishJob, getJobByOperation, jobHasEnded, jobSpecOf } from '../../../db/repositories/jobs.ts';
import type { InstanceRow, OperationRow } from '../../../db/schema.ts';
import { RemoteJob } from '../../cloud/ssh/remote-job.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { jobEndOfCode } from '../../domain/jobs.ts';
import { asGpuopsError } from '../../errors.ts';
import type { WorkerServices } from '../queue/job-context.ts';
import { deployLabel } from './rental-label.ts';

type SettleServices = Pick<WorkerServices, 'db' | 'provider' | 'log'> &
  Partial<Pick<WorkerServices, 'sshKey'>>;

/**
 * Releases the machine a job rented for one attempt and says so in one sentence. The record, or
 * else the attempt's label at the provider, names it, so a rental whose answer was lost is found
 * too. The provider is the truth: the record says destroyed only once the provider no longer lists
 * the machine; otherwise the reconciler finishes the release.
 */
export async function releaseJobMachine(
  services: SettleServices,
  operationId: string,
  attempt: number,
  row: InstanceRow | undefined,
): Promise<string> {
  const { db, provider, log } = services;
  const current = row ?? (await findInstanceByLabel(db, deployLabel(operationId, attempt)));
  const providerId =
    current?.provider_instance_id ??
    (await provider.listInstances()).find((i) => i.label === deployLabel(operationId, attempt))?.id;
  const ref = current ? instanceRef(current.id) : `machine ${providerId}`;
  if (!providerId) return 'No machine was rented, so nothing bills.';
  try {
    if (await provider.getInstance(providerId)) await provider.destroyInstance(providerId);
    const live = await provider.getInstance(providerId);
    if (current) await updateInstance(db, current.id, settledColumns(current, live ?? null));
    return live
      ? `The provider was asked to release ${ref} and still lists it (${live.status}); gpuops makes sure it goes.`
      : `${ref} was released, so nothing of this job bills.`;
  } catch (err) {
    log.error({ op: operationId, providerId, err }, 'could not release a job machine');
    return `Releasing ${ref} failed; gpuops's reconciler releases it on its next pass, or say "destroy ${ref}".`;
  }
}

/**
 * A job whose operation ended some other way than by the job itself (an error it could not turn
 * into an end, its workers dying too often, its queue entry removed) releases every machine it
 * rented and ends as failed (or as the end its error names), so nothing of it bills and its row
 * never stays running.
 */
export async function settleFailedJob(
  services: SettleServices,
  operation: OperationRow,
  error: { code: string; message: string },
): Promise<string> {
  const job = await getJobByOperation(services.db, operation.id);
  if (!job || jobHasEnded(job)) return '';
  const spec = jobSpecOf(job);
  const released: string[] = [];
  if (spec.target.kind === 'rent') {
    for (let attempt = 1; attempt <= Math.max(1, job.attempt); attempt++) {
      const said = await releaseJobMachine(services, operation.id, attempt, undefined);
      if (!said.startsWith('No machine')) released.push(said);
    }
  }
  if (spec.target.kind === 'instance' && job.run_id) {
    released.push(await stopOnInstance(services, spec.target.instance_id, job.run_id));
  }
  const standing =
    released.length > 0
      ? released.join(' ')
      : spec.target.kind === 'rent'
        ? 'No machine was rented, so nothing bills.'
        : '';
  const machine = job.instance_id === null ? undefined : await getInstance(services.db, job.instance_id);
  const running =
    machine && job.attempt_started_at
      ? (machine.price_per_hour * Math.max(0, Date.now() - job.attempt_started_at.getTime())) / 3_600_000
      : 0;
  await finishJob(services.db, job.id, {
    state: jobEndOfCode(error.code) ?? 'failed',
    cost: job.cost + running,
    end_message: [error.message, standing].filter(Boolean).join(' '),
    attempt_started_at: null,
  });
  return standing;
}

/**
 * Stops a job's run on the team's own instance (which is not released): left running, it would
 * keep the instance busy with work nobody follows.
 */
async function stopOnInstance(services: SettleServices, instanceId: number, runId: string): Promise<string> {
  const ref = instanceRef(instanceId);
  const row = await getInstance(services.db, instanceId);
  if (!services.sshKey || !row?.ssh_host || !row.ssh_port || row.state !== 'running') {
    return `Its command may still run on ${ref}; check there.`;
  }
  try {
    await new RemoteJob(
      { host: row.ssh_host, port: row.ssh_port, privateKey: services.sshKey.privateKey },
      runId,
    ).cancel();
    return `Its command on ${ref} was stopped; ${ref} itself is left as it was.`;
  } catch (err) {
    services.log.warn({ err, instance: ref }, 'could not stop a job run on an instance');
    return `Its command on ${ref} could not be stopped (${asGpuopsError(err).message}); check there.`;
  }
}
