import {
  findInstanceByLabel,
  insertInstanceForOperation,
  updateInstance,
} from '../../../db/repositories/instances.ts';
import type { InstanceRow } from '../../../db/schema.ts';
import { type GpuModel, gpuById } from '../../cloud/gpu-catalog.ts';
import { offerQuery, sharedFilters } from '../../cloud/market-query.ts';
import type { Offer, ProviderInstance } from '../../cloud/provider.ts';
import { instanceRef } from '../../domain/instance-ref.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { formatPrice } from '../../format/text.ts';
import type { JobContext } from '../queue/job-context.ts';
import { checkGpusOverSsh } from './health-check.ts';
import { rentFirstAvailable } from './rent-offer.ts';
import { waitForStatus } from './wait-for-status.ts';

/** How many offers to try when the best ones are taken between search and rent. */
const OFFERS_TO_TRY = 5;

/** The machine an operation wants rented: a deploy's job data, or a job's rent target. */
export interface MachineRequest {
  /** Catalog GPU id, e.g. "rtx-4090". */
  gpu: string;
  count: number;
  image: string;
  disk_gb: number;
  max_price_per_gpu_hour?: number | undefined;
  region?: string | undefined;
  min_reliability?: number | undefined;
  /** A specific offer to rent first; the best matching others when it is gone. */
  offer_id?: number | undefined;
}

/** The operation's step indexes for renting, booting and checking the machine. */
export interface ProvisionSteps {
  renting: number;
  booting: number;
  checking: number;
}

export interface ProvisionedMachine {
  row: InstanceRow & { ssh_host: string; ssh_port: number };
  live: ProviderInstance;
  /** GPUs nvidia-smi listed. */
  gpus: string[];
}

/**
 * Rents a machine for this operation under `label` and brings it to running with SSH and its GPUs
 * answering. Safe to run again: the record, or else the label on the provider's side, tells what
 * an earlier attempt already rented, so a retry never rents a second machine. Whatever fails from
 * here on, the operation's ending releases what it rented (jobs/operations/settle.ts).
 */
export async function provisionMachine(
  ctx: JobContext,
  request: MachineRequest,
  options: { label: string; steps: ProvisionSteps },
): Promise<ProvisionedMachine> {
  const gpu = gpuById(request.gpu);
  if (!gpu) throw new GpuopsError(ErrorCode.UnknownGpu, `Unknown GPU id "${request.gpu}" in the job.`);
  const { label, steps } = options;
  let row = await findInstanceByLabel(ctx.db, label);
  if (row) ctx.setInstance(row.id);

  if (!row?.provider_instance_id) {
    // A previous attempt may have rented the machine and died before writing it down: the label
    // on the provider's side is how we find it.
    const adopted = (await ctx.provider.listInstances()).find((i) => i.label === label);
    if (adopted) {
      row = await recordRental(ctx, row, adopted, request, gpu, label);
      await ctx.report(steps.renting, `found the machine an earlier attempt rented (${adopted.id})`);
    } else {
      row = await rentBestOffer(ctx, row, request, gpu, label, steps.renting);
    }
  }
  const providerId = row.provider_instance_id!;

  await ctx.report(steps.booting, 'waiting for the machine to boot and pull the image');
  const outcome = await waitForStatus(ctx, providerId, {
    want: 'running',
    stepIndex: steps.booting,
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

  await ctx.report(steps.checking, `ssh ${live.sshHost}:${live.sshPort}`);
  const gpus = await checkGpusOverSsh(ctx, live);
  const running = await updateInstance(ctx.db, row.id, {
    state: 'running',
    provider_status: live.status,
    ssh_host: live.sshHost,
    ssh_port: live.sshPort,
    running_since: new Date(),
  });
  return { row: running as ProvisionedMachine['row'], live, gpus };
}

async function rentBestOffer(
  ctx: JobContext,
  existing: InstanceRow | undefined,
  request: MachineRequest,
  gpu: GpuModel,
  label: string,
  stepIndex: number,
): Promise<InstanceRow> {
  const matching = await ctx.provider.searchOffers(
    offerQuery({ ...sharedFilters(request), gpu, diskGb: request.disk_gb, limit: OFFERS_TO_TRY }, ctx.config),
  );
  const wanted =
    request.offer_id === undefined
      ? []
      : await ctx.provider.searchOffers({ offerId: request.offer_id, numGpus: request.count, limit: 1 });
  if (request.offer_id !== undefined && wanted.length === 0) {
    await ctx.report(stepIndex, `offer ${request.offer_id} is no longer available; taking the best match`);
  }
  const offers = [...wanted, ...matching.filter((o) => o.id !== request.offer_id)];
  if (offers.length === 0) {
    throw new GpuopsError(
      ErrorCode.NoMatchingOffer,
      `No ${request.count}x ${gpu.displayName} offer matches any more${request.max_price_per_gpu_hour ? ` under ${formatPrice(request.max_price_per_gpu_hour)} per GPU` : ''}. Try a higher price or another GPU.`,
    );
  }
  let row = existing;
  const rented = await rentFirstAvailable(
    ctx,
    offers,
    { image: request.image, diskGb: request.disk_gb, label },
    {
      stepIndex,
      beforeTry: async (offer) => {
        row = row
          ? await updateInstance(ctx.db, row.id, offerColumns(offer))
          : await insertInstanceForOperation(ctx.db, {
              ...newInstanceColumns(ctx, request, label),
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
function newInstanceColumns(ctx: JobContext, request: MachineRequest, label: string) {
  return {
    provider: ctx.provider.name,
    label,
    image: request.image,
    disk_gb: request.disk_gb,
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
  request: MachineRequest,
  gpu: GpuModel,
  label: string,
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
        ...newInstanceColumns(ctx, request, label),
        offer_id: null,
        location: null,
        ...columns,
      });
  ctx.setInstance(row.id);
  return row;
}
