import { startFailoverRow, updateFailover } from '../../../db/repositories/failovers.ts';
import { updateInstance } from '../../../db/repositories/instances.ts';
import { addInstanceNotice } from '../../../db/repositories/notices.ts';
import { getOperation } from '../../../db/repositories/operations.ts';
import { getSnapshot, latestCompleteSnapshot } from '../../../db/repositories/snapshots.ts';
import type { FailoverRow, InstanceRow, SnapshotRow } from '../../../db/schema.ts';
import { STANDBY_SSH_USER } from '../../cloud/gcp/standby-vm.ts';
import { compatibleReplacements, gpuById, gpuByMarketName } from '../../cloud/gpu-catalog.ts';
import { countriesFor } from '../../cloud/market-query.ts';
import type { Offer, OfferQuery, ProviderInstance } from '../../cloud/provider.ts';
import { sshCommand } from '../../cloud/ssh/ssh-command.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import { asGpuopsError, ErrorCode, GpuopsError, isGpuopsError } from '../../errors.ts';
import { formatElapsed, formatPrice } from '../../format/text.ts';
import type { FailoverJobArgs } from '../../tools/schemas.ts';
import {
  AUTOMATIC_REQUESTER,
  type JobContext,
  type JobHandler,
  operationArgs,
  type WorkerServices,
} from '../queue/job-context.ts';
import {
  moveToStandby,
  releaseStandbyAfterFailback,
  standbyWorkspace,
  usableStandby,
} from './failover-standby.ts';
import { loadOperationInstance, withLiveSsh } from './operation-instance.ts';
import { rentFirstAvailable } from './rent-offer.ts';
import { deployLabel } from './rental-label.ts';
import { restoreSnapshotOnto, snapshotInstance } from './snapshot-jobs.ts';
import { waitForStatus } from './wait-for-status.ts';

/**
 * Failover: moves an instance onto a new machine with its workspace. The data is a fresh snapshot
 * when the old machine still answers, else its latest complete snapshot; the replacement is the
 * cheapest offer of the same or a compatible GPU under the instance's price ceiling; the snapshot
 * is restored and verified on it; then the record moves (the instance keeps its name) and the old
 * machine is released.
 *
 * Safe to run again from any point: the failover row says which machine is being replaced and
 * which snapshot was chosen, the replacement carries this operation's label so a retry adopts it
 * rather than renting a second one, and the record moves in one statement. Until it moves, a
 * failure releases the replacement (jobs/operations/settle.ts) and leaves the instance as it was.
 */

/** Job steps (JOB_STEPS.failover): the snapshot's three come first. */
const STEP = {
  snapshot: 0,
  find: 3,
  rent: 4,
  boot: 5,
  restore: 6,
  move: 8,
  release: 9,
} as const;

/** How many replacement offers to try when the best are taken between search and rent. */
const OFFERS_TO_TRY = 5;

export const runFailover: JobHandler = async (ctx) => {
  const args = operationArgs(ctx.operation, 'failover');
  const startedAt = ctx.operation.created_at.getTime();
  let row = await loadOperationInstance(ctx);
  let failover = await startFailoverRow(ctx.db, {
    operationId: ctx.operation.id,
    instance: row,
    reason: args.reason,
  });
  let providerWaitMs = 0;
  let dataMs = 0;

  if (!failover.moved_at) {
    const chosen = await chooseSnapshot(ctx, row, failover);
    failover = chosen.failover;
    const snapshot = chosen.snapshot;

    let replacement: { failover: FailoverRow };
    try {
      replacement = await rentReplacement(ctx, row, failover, args);
    } catch (err) {
      // A lost machine with no GPU to be had under its ceiling goes to its CPU standby, if it has
      // one; a machine that still answered (a migration) stays where it is.
      const standby =
        isGpuopsError(err) &&
        err.code === ErrorCode.NoMatchingOffer &&
        !chosen.fresh &&
        args.reason !== 'wake'
          ? await usableStandby(ctx, row.id)
          : undefined;
      if (!standby || row.state === 'on_standby') throw err;
      await ctx.report(STEP.find, `no GPU offer fits; moving onto the CPU standby ${standby.vm_name}`);
      const moved = await moveToStandby(ctx, row, failover, snapshot, STEP);
      row = moved.row;
      failover = moved.failover;
      dataMs += moved.dataMs;
      await ctx.report(STEP.release, failover.old_provider_instance_id ?? 'no old machine');
      const release = await releaseOldMachine(ctx, failover);
      return failoverResult(row, failover, release, { providerWaitMs, dataMs, reason: args.reason });
    }
    failover = replacement.failover;

    await ctx.report(STEP.boot, 'waiting for the replacement to boot and pull the image');
    const waitStarted = Date.now();
    const outcome = await waitForStatus(ctx, failover.new_provider_instance_id!, {
      want: 'running',
      stepIndex: STEP.boot,
      timeoutMs: ctx.config.deployTimeoutMs,
      needSsh: true,
    });
    providerWaitMs += Date.now() - waitStarted;
    if (outcome.kind !== 'reached') {
      throw new GpuopsError(
        ErrorCode.HostFailed,
        `The replacement machine failed while starting (${outcome.kind === 'gone' ? 'the provider removed it' : outcome.instance.status}). ${instanceRef(row.id)} is unchanged and ${snapshotRef(snapshot)} is safe; say "failover ${instanceRef(row.id)}" to try another offer.`,
      );
    }
    const live = outcome.instance;

    const restoreStarted = Date.now();
    await restoreSnapshotOnto(
      ctx,
      { id: row.id, ssh_host: live.sshHost!, ssh_port: live.sshPort! },
      snapshotRef(snapshot),
      STEP.restore,
    );
    dataMs += Date.now() - restoreStarted;

    await ctx.report(STEP.move, `${instanceRef(row.id)} → machine ${live.id}`);
    const moved = await moveRecord(ctx, row, failover, live, snapshot, startedAt, providerWaitMs);
    row = moved.row;
    failover = moved.failover;
  }
  // Back on a GPU, the VM is a standby again (also when a retry finds the move already made).
  if (args.reason === 'failback' && row.state === 'running') await releaseStandbyAfterFailback(ctx, row.id);

  await ctx.report(STEP.release, failover.old_provider_instance_id ?? 'no old machine');
  const release = await releaseOldMachine(ctx, failover);
  const result = failoverResult(row, failover, release, { providerWaitMs, dataMs, reason: args.reason });
  // Nobody asked for an automatic failback in chat: its thread is told how it went.
  if (args.reason === 'failback' && ctx.operation.requester === AUTOMATIC_REQUESTER) {
    await addInstanceNotice(ctx.db, row, result.summary);
  }
  return result;
};

function snapshotRef(snapshot: SnapshotRow): string {
  return `snap-${snapshot.id}`;
}

/**
 * The data to move: chosen once per failover and written down, so a retry restores the same.
 * A machine that still runs is snapshotted now (nothing is lost); one that does not, or whose
 * workspace cannot be read any more, gives its latest complete snapshot.
 */
async function chooseSnapshot(
  ctx: JobContext,
  row: InstanceRow,
  failover: FailoverRow,
): Promise<{ snapshot: SnapshotRow; failover: FailoverRow; fresh: boolean }> {
  if (failover.snapshot_id !== null) {
    const chosen = await getSnapshot(ctx.db, failover.snapshot_id);
    if (chosen?.state === 'complete')
      return { snapshot: chosen, failover, fresh: chosen.operation_id === ctx.operation.id };
  }
  let fresh: SnapshotRow | undefined;
  let unreadable: string | undefined;
  // A machine that still runs is read where the provider says it is now.
  const live = row.state === 'running' ? await withLiveSsh(ctx, row) : undefined;
  if (row.state === 'on_standby') {
    // Work went on on the standby since the failover: all of it comes back, or nothing moves.
    fresh = await snapshotInstance(ctx, row as InstanceRow & { ssh_host: string; ssh_port: number }, {
      name: 'failback',
      firstStep: STEP.snapshot,
      from: await standbyWorkspace(ctx, row),
    });
  } else if (live) {
    try {
      fresh = await snapshotInstance(ctx, live, {
        name: 'failover',
        firstStep: STEP.snapshot,
      });
    } catch (err) {
      const error = asGpuopsError(err);
      // Storage that refuses the snapshot would refuse the restore too: that is not a lost machine.
      if (error.code === ErrorCode.StorageFailed) throw error;
      unreadable = error.message;
      ctx.log.warn({ op: ctx.operation.id, err }, 'could not snapshot the machine being replaced');
    }
  }
  const snapshot = fresh ?? (await latestCompleteSnapshot(ctx.db, row.id, -1));
  if (!snapshot) {
    throw new GpuopsError(
      ErrorCode.InvalidState,
      `${instanceRef(row.id)} has no complete snapshot${unreadable ? `, and its workspace could not be read now (${unreadable})` : ''}, so there is nothing to restore on a new machine. Nothing was rented.`,
    );
  }
  const dataAgeMs = Math.max(0, ctx.operation.created_at.getTime() - snapshot.created_at.getTime());
  if (!fresh) {
    await ctx.report(
      STEP.find,
      `${unreadable ? 'the workspace could not be read; ' : ''}restoring ${snapshotRef(snapshot)}, taken ${formatElapsed(dataAgeMs)} before the failover`,
    );
  }
  const updated = await updateFailover(ctx.db, failover.id, {
    snapshot_id: snapshot.id,
    data_age_ms: dataAgeMs,
  });
  return { snapshot, failover: updated, fresh: fresh !== undefined };
}

/** The replacement: the one this operation already rented (by its label), or the best offer now. */
async function rentReplacement(
  ctx: JobContext,
  row: InstanceRow,
  failover: FailoverRow,
  args: FailoverJobArgs,
): Promise<{ failover: FailoverRow }> {
  const label = deployLabel(ctx.operation.id);
  if (failover.new_provider_instance_id) return { failover };
  const adopted = (await ctx.provider.listInstances()).find((i) => i.label === label);
  if (adopted) {
    await ctx.report(STEP.rent, `found the replacement an earlier attempt rented (${adopted.id})`);
    return {
      failover: await updateFailover(ctx.db, failover.id, {
        new_provider_instance_id: adopted.id,
        new_gpu_name: adopted.gpuName,
        new_price_per_hour: adopted.pricePerHour,
      }),
    };
  }
  const offers = await replacementOffers(ctx, row, args);
  const rented = await rentFirstAvailable(
    ctx,
    offers,
    { image: row.image, diskGb: row.disk_gb, label },
    { stepIndex: STEP.rent },
  );
  return {
    failover: await updateFailover(ctx.db, failover.id, {
      new_provider_instance_id: rented.providerId,
      new_gpu_name: rented.offer.gpuName,
      new_price_per_hour: rented.offer.pricePerHour,
      new_offer_id: rented.offer.id,
      new_location: rented.offer.location,
    }),
  };
}

/**
 * Offers the instance can move to, cheapest first: as many GPUs of the same or a compatible model
 * (or the one asked for), enough disk for its workspace, under its price ceiling.
 */
async function replacementOffers(ctx: JobContext, row: InstanceRow, args: FailoverJobArgs): Promise<Offer[]> {
  const search = await replacementSearch(ctx, row, args);
  await ctx.report(
    STEP.find,
    `${search.wanted}, ${row.disk_gb} GB disk, under ${formatPrice(search.ceiling)} per GPU`,
  );
  const offers = await ctx.provider.searchOffers(search.query);
  if (offers.length === 0) {
    throw new GpuopsError(
      ErrorCode.NoMatchingOffer,
      `No offer of ${search.wanted} with ${row.disk_gb} GB of disk is under ${formatPrice(search.ceiling)} per GPU right now. ${instanceRef(row.id)} is unchanged and nothing was rented; say "failover ${instanceRef(row.id)} under $<price>" to allow more, or name another GPU.`,
    );
  }
  return offers;
}

/**
 * The market query for an instance's replacement: as many GPUs of the same or a compatible model
 * (or the one asked for), its disk, its region and reliability, under its price ceiling (the
 * request's, else its deploy's, else `failoverMaxPriceRatio` times its price per GPU).
 */
export async function replacementSearch(
  services: Pick<WorkerServices, 'db' | 'config'>,
  row: InstanceRow,
  args: Pick<FailoverJobArgs, 'gpu' | 'max_price_per_gpu_hour'>,
): Promise<{ query: OfferQuery; ceiling: number; wanted: string }> {
  const deploy = await getOperation(services.db, row.operation_id);
  const deployArgs = (deploy?.args ?? {}) as {
    max_price_per_gpu_hour?: number;
    region?: string;
    min_reliability?: number;
  };
  const failedOver = await services.db
    .selectFrom('failovers')
    .select('old_price_per_hour')
    .where('instance_id', '=', row.id)
    .where('new_provider_instance_id', 'like', 'gcp:%')
    .where('moved_at', 'is not', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  // On its standby the record holds the VM's price; the ceiling is from the GPU it had.
  const gpuPrice =
    row.state === 'on_standby' && failedOver ? failedOver.old_price_per_hour : row.price_per_hour;
  const ceiling =
    args.max_price_per_gpu_hour ??
    deployArgs.max_price_per_gpu_hour ??
    (gpuPrice / row.gpu_count) * services.config.failoverMaxPriceRatio;
  const asked = args.gpu === undefined ? undefined : gpuById(args.gpu);
  const current = gpuByMarketName(row.gpu_name);
  const models = asked ? [asked] : current ? compatibleReplacements(current) : [];
  const query: OfferQuery = {
    gpuNames: models.length > 0 ? models.map((m) => m.marketName) : [row.gpu_name],
    numGpus: row.gpu_count,
    diskGb: row.disk_gb,
    maxPricePerHour: Math.min(ceiling * row.gpu_count, services.config.maxPricePerHour),
    order: 'price',
    limit: OFFERS_TO_TRY,
  };
  if (!asked && current) query.minGpuRamGb = current.vramGb;
  const countries = countriesFor(deployArgs.region);
  if (countries) query.countries = countries;
  if (deployArgs.min_reliability !== undefined) query.minReliability = deployArgs.min_reliability;
  const wanted = `${row.gpu_count}x ${asked?.displayName ?? `${row.gpu_name} or a compatible GPU`}`;
  return { query, ceiling, wanted };
}

/** Points the record at the replacement, in one statement, and writes down the recovery figures. */
async function moveRecord(
  ctx: JobContext,
  row: InstanceRow,
  failover: FailoverRow,
  live: ProviderInstance,
  snapshot: SnapshotRow,
  startedAt: number,
  providerWaitMs: number,
): Promise<{ row: InstanceRow; failover: FailoverRow }> {
  const now = new Date();
  const moved = await updateInstance(ctx.db, row.id, {
    provider_instance_id: live.id,
    label: deployLabel(ctx.operation.id),
    offer_id: failover.new_offer_id,
    gpu_name: live.gpuName || failover.new_gpu_name || row.gpu_name,
    gpu_count: live.numGpus || row.gpu_count,
    price_per_hour: live.pricePerHour || failover.new_price_per_hour || row.price_per_hour,
    location: failover.new_location,
    state: 'running',
    provider_status: live.status,
    ssh_host: live.sshHost ?? null,
    ssh_port: live.sshPort ?? null,
    running_since: now,
    stopped_at: null,
    hibernated_at: null,
  });
  const updated = await updateFailover(ctx.db, failover.id, {
    moved_at: now,
    recovery_ms: now.getTime() - startedAt,
    provider_wait_ms: providerWaitMs,
    snapshot_id: snapshot.id,
  });
  return { row: moved, failover: updated };
}

/** Releases the machine that was replaced; a failure is reported, not thrown (the reconciler retries). */
async function releaseOldMachine(ctx: JobContext, failover: FailoverRow): Promise<string> {
  const old = failover.old_provider_instance_id;
  if (!old || old === failover.new_provider_instance_id) return 'there was no old machine to release';
  if (failover.old_released_at) return `the old machine ${old} was released`;
  try {
    const live = await ctx.provider.getInstance(old);
    if (live) await ctx.provider.destroyInstance(old);
  } catch (err) {
    ctx.log.warn({ op: ctx.operation.id, old, err }, 'could not release the replaced machine');
    return `the old machine ${old} could not be released yet (${asGpuopsError(err).message}); gpuops's reconciler will release it`;
  }
  await updateFailover(ctx.db, failover.id, { old_released_at: new Date() });
  return `the old machine ${old} was released`;
}

function failoverResult(
  row: InstanceRow,
  failover: FailoverRow,
  release: string,
  timings: { providerWaitMs: number; dataMs: number; reason: FailoverJobArgs['reason'] },
): OperationResult {
  const recoveryMs = Number(failover.recovery_ms ?? 0);
  const dataAgeMs = Number(failover.data_age_ms ?? 0);
  const ssh =
    row.ssh_host && row.ssh_port
      ? sshCommand(row.ssh_host, row.ssh_port, row.state === 'on_standby' ? STANDBY_SSH_USER : 'root')
      : undefined;
  const priceChange =
    row.price_per_hour === failover.old_price_per_hour
      ? `same price, ${formatPrice(row.price_per_hour)}`
      : `${formatPrice(row.price_per_hour)} (was ${formatPrice(failover.old_price_per_hour)})`;
  return {
    instance: instanceRef(row.id),
    gpu: row.gpu_name,
    gpuCount: row.gpu_count,
    pricePerHour: row.price_per_hour,
    state: row.state,
    ...(row.location && { location: row.location }),
    ...(ssh && { ssh }),
    timings: {
      recoveryMs,
      dataAgeMs,
      providerWaitMs: Number(failover.provider_wait_ms ?? timings.providerWaitMs),
      dataMs: timings.dataMs,
    },
    summary: (row.state === 'on_standby'
      ? [
          `No GPU offer fits under ${instanceRef(row.id)}'s price ceiling, so it now runs on its CPU standby ${failover.new_provider_instance_id?.replace(/^gcp:/, '')} (${failover.new_gpu_name?.replace(/^CPU standby \(|\)$/g, '')}, ${formatPrice(row.price_per_hour)}, ${row.location})`,
          `workspace at snap-${failover.snapshot_id}, verified`,
          `recovery time (RTO) ${formatElapsed(recoveryMs)}, data age (RPO) ${dataAgeMs === 0 ? '0 s' : formatElapsed(dataAgeMs)}`,
          release,
          ssh ? `${ssh} (workspace in ~/workspace)` : '',
          `gpuops moves it back to a ${row.gpu_count}x ${row.gpu_name} when one is available; "failback ${instanceRef(row.id)}" tries now`,
        ]
      : timings.reason === 'failback'
        ? [
            `${instanceRef(row.id)} is back on a GPU: ${row.gpu_count}x ${row.gpu_name}, ${formatPrice(row.price_per_hour)}${row.location ? `, ${row.location}` : ''}`,
            `the work done on its standby was snapshotted (snap-${failover.snapshot_id}), restored and verified`,
            `in ${formatElapsed(recoveryMs)}; the VM is its standby again`,
            ssh ?? '',
          ]
        : timings.reason === 'wake'
          ? [
              `${instanceRef(row.id)} woke up on a new machine: ${row.gpu_count}x ${row.gpu_name}, ${priceChange}${row.location ? `, ${row.location}` : ''}`,
              `workspace restored from snap-${failover.snapshot_id}, taken when it hibernated, and verified`,
              `in ${formatElapsed(recoveryMs)}`,
              ssh ?? '',
            ]
          : [
              `${instanceRef(row.id)} moved to a new machine: ${row.gpu_count}x ${row.gpu_name}, ${priceChange}${row.location ? `, ${row.location}` : ''}`,
              `workspace restored from snap-${failover.snapshot_id} and verified`,
              `recovery time (RTO) ${formatElapsed(recoveryMs)}, data age (RPO) ${dataAgeMs === 0 ? '0 s, a fresh snapshot' : formatElapsed(dataAgeMs)}`,
              release,
              ssh ?? '',
            ]
    )
      .filter(Boolean)
      .join(' · '),
  };
}
