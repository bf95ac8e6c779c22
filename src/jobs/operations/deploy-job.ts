import {
  findInstanceByOperation,
  insertInstanceForOperation,
  updateInstance,
} from '../../../db/repositories/instances.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import { type GpuModel, gpuById } from '../../cloud/gpu-catalog.ts';
import { offerQuery, sharedFilters } from '../../cloud/market-query.ts';
import type { Offer, ProviderInstance } from '../../cloud/provider.ts';
import { sshCommand } from '../../cloud/ssh/ssh-command.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import type { OperationResult } from '../../domain/operation-result.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { formatBytes, formatPrice } from '../../format/text.ts';
import type { DeployJobArgs } from '../../tools/schemas.ts';
import { type JobContext, type JobHandler, operationArgs } from '../queue/job-context.ts';
import { checkGpusOverSsh } from './health-check.ts';
import { rentFirstAvailable } from './rent-offer.ts';
import { deployLabel } from './rental-label.ts';
import { restoreSnapshotOnto } from './snapshot-jobs.ts';
import { waitForStatus } from './wait-for-status.ts';

/** How many offers to try when the best ones are taken between search and rent. */
const OFFERS_TO_TRY = 5;

export const runDeploy: JobHandler = async (ctx) => {
  const args = operationArgs(ctx.operation, 'deploy');
  const gpu = gpuById(args.gpu);
  if (!gpu) throw new GpuopsError(ErrorCode.UnknownGpu, `Unknown GPU id "${args.gpu}" in the job.`);
  const label = deployLabel(ctx.operation.id);

  await ctx.report(0, `${args.count}x ${gpu.displayName}`);
  let row = await findInstanceByOperation(ctx.db, ctx.operation.id);
  if (row) ctx.setInstance(row.id);

  if (!row?.provider_instance_id) {
    // A previous attempt may have rented the machine and died before writing it down: the label
    // on the provider's side is how we find it, so a retry never rents a second one.
    const adopted = (await ctx.provider.listInstances()).find((i) => i.label === label);
    if (adopted) {
      row = await recordRental(ctx, row, adopted, args, gpu);
      await ctx.report(1, `found the machine an earlier attempt rented (${adopted.id})`);
    } else {
      row = await rentBestOffer(ctx, row, args, gpu, label);
    }
  }
  const providerId = row.provider_instance_id!;

  // Whatever fails from here on, the operation's ending releases the machine (jobs/operations/settle.ts), so
  // a deploy that does not succeed leaves nothing billing.
  await ctx.report(2, 'waiting for the machine to boot and pull the image');
  const outcome = await waitForStatus(ctx, providerId, {
    want: 'running',
    stepIndex: 2,
    timeoutMs: ctx.config.deployTimeoutMs,
    needSsh: true,
  });
  if (outcome.kind !== 'reached') {
    const why =
      outcome.kind === 'gone'
        ? 'the provider removed it'
        : `its host failed (${outcome.instance.status}${outcome.instance.statusMessage ? `: ${outcome.instance.statusMessage}` : ''})`;
    throw new GpuopsError(
      ErrorCode.HostFailed,
      `The machine for ${instanceRef(row.id)} failed while starting: ${why}. Ask again to deploy on another offer.`,
    );
  }
  const live = outcome.instance;

  await ctx.report(3, `ssh ${live.sshHost}:${live.sshPort}`);
  const gpus = await checkGpusOverSsh(ctx, live);

  const running = await updateInstance(ctx.db, row.id, {
    state: 'running',
    provider_status: live.status,
    ssh_host: live.sshHost,
    ssh_port: live.sshPort,
    running_since: new Date(),
  });
  const result = deployResult(running, gpus);
  if (!args.restore_snapshot) return result;
  // Not done until every file of the snapshot is there: a restore that fails fails the deploy,
  // whose ending releases the machine.
  const restored = await restoreSnapshotOnto(
    ctx,
    { id: running.id, ssh_host: live.sshHost!, ssh_port: live.sshPort! },
    args.restore_snapshot,
    4,
  );
  return {
    ...result,
    snapshot: args.restore_snapshot,
    summary: `${result.summary} · ${args.restore_snapshot} restored and verified: ${restored.files} files, ${formatBytes(restored.bytes)}`,
  };
};

async function rentBestOffer(
  ctx: JobContext,
  existing: InstanceRow | undefined,
  args: DeployJobArgs,
  gpu: GpuModel,
  label: string,
): Promise<InstanceRow> {
  const matching = await ctx.provider.searchOffers(
    offerQuery({ ...sharedFilters(args), gpu, diskGb: args.disk_gb, limit: OFFERS_TO_TRY }, ctx.config),
  );
  const wanted =
    args.offer_id === undefined
      ? []
      : await ctx.provider.searchOffers({ offerId: args.offer_id, numGpus: args.count, limit: 1 });
  if (args.offer_id !== undefined && wanted.length === 0) {
    await ctx.report(1, `recommended offer ${args.offer_id} is no longer available; taking the best match`);
  }
  const offers = [...wanted, ...matching.filter((o) => o.id !== args.offer_id)];
  if (offers.length === 0) {
    throw new GpuopsError(
      ErrorCode.NoMatchingOffer,
      `No ${args.count}x ${gpu.displayName} offer matches any more${args.max_price_per_gpu_hour ? ` under ${formatPrice(args.max_price_per_gpu_hour)} per GPU` : ''}. Try a higher price or another GPU.`,
    );
  }
  let row = existing;
  const rented = await rentFirstAvailable(
    ctx,
    offers,
    { image: args.image, diskGb: args.disk_gb, label },
    {
      stepIndex: 1,
      beforeTry: async (offer) => {
        row = row
          ? await updateInstance(ctx.db, row.id, offerColumns(offer))
          : await insertInstanceForOperation(ctx.db, {
              ...newInstanceColumns(ctx, args, label),
              provider_instance_id: null,
              ...offerColumns(offer),
            });
        ctx.setInstance(row.id);
      },
    },
  );
  return updateInstance(ctx.db, row!.id, {
    ...offerColumns(rented.offer),
    provider_instance_id: rented.providerId,
    provider_status: rented.status,
  });
}

/** What every instance row this operation creates has, whatever offer it ends up on. */
function newInstanceColumns(ctx: JobContext, args: DeployJobArgs, label: string) {
  return {
    provider: ctx.provider.name,
    label,
    image: args.image,
    disk_gb: args.disk_gb,
    owner: ctx.operation.requester,
    channel: ctx.operation.channel,
    operation_id: ctx.operation.id,
    state: 'provisioning' as const,
  };
}

function offerColumns(offer: Offer) {
  return {
    offer_id: offer.id,
    gpu_name: offer.gpuName,
    gpu_count: offer.numGpus,
    price_per_hour: offer.pricePerHour,
    location: offer.location,
  };
}

/** Writes down a rental found at the provider (by its label) that this operation made earlier. */
async function recordRental(
  ctx: JobContext,
  existing: InstanceRow | undefined,
  instance: ProviderInstance,
  args: DeployJobArgs,
  gpu: GpuModel,
): Promise<InstanceRow> {
  const columns = {
    provider_instance_id: instance.id,
    provider_status: instance.status,
    gpu_name: instance.gpuName || gpu.marketName,
    gpu_count: instance.numGpus,
    price_per_hour: instance.pricePerHour,
  };
  const row = existing
    ? await updateInstance(ctx.db, existing.id, columns)
    : await insertInstanceForOperation(ctx.db, {
        ...newInstanceColumns(ctx, args, deployLabel(ctx.operation.id)),
        offer_id: null,
        location: null,
        ...columns,
      });
  ctx.setInstance(row.id);
  return row;
}

function deployResult(row: InstanceRow, gpus: string[]): OperationResult {
  const ssh = row.ssh_host && row.ssh_port ? sshCommand(row.ssh_host, row.ssh_port) : undefined;
  return {
    instance: instanceRef(row.id),
    gpu: row.gpu_name,
    gpuCount: row.gpu_count,
    pricePerHour: row.price_per_hour,
    state: row.state,
    ...(row.location && { location: row.location }),
    ...(ssh && { ssh }),
    summary: [
      `${instanceRef(row.id)} running`,
      `${row.gpu_count}x ${row.gpu_name}`,
      formatPrice(row.price_per_hour),
      row.location ?? '',
      gpus.length > 0 ? `${gpus.length} GPU${gpus.length === 1 ? '' : 's'} seen` : '',
      ssh ?? '',
    ]
      .filter(Boolean)
      .join(' · '),
  };
}
