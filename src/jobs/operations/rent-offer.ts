import type { Offer } from '../../cloud/provider.ts';
import { ErrorCode, GpuopsError, isGpuopsError } from '../../errors.ts';
import { formatPrice } from '../../format/text.ts';
import type { JobContext } from '../queue/job-context.ts';

/** What to rent on whichever offer is still there. */
export interface Rental {
  image: string;
  diskGb: number;
  /** Written on the machine, so a retry finds what was rented (src/jobs/operations/rental-label.ts). */
  label: string;
}

export interface RentedMachine {
  providerId: string;
  offer: Offer;
  status: string;
}

/**
 * Rents the first of `offers` still available, in order: an offer taken by someone else between
 * search and rent is skipped for the next; a rental whose answer was lost is looked for by its
 * label before anything else is tried, so a machine is never rented twice. `beforeTry` runs before
 * each attempt (to write down which offer is being tried).
 */
export async function rentFirstAvailable(
  ctx: JobContext,
  offers: readonly Offer[],
  rental: Rental,
  options: { stepIndex: number; beforeTry?: (offer: Offer) => Promise<void> },
): Promise<RentedMachine> {
  const taken: number[] = [];
  for (const offer of offers) {
    await options.beforeTry?.(offer);
    await ctx.report(
      options.stepIndex,
      `offer ${offer.id}: ${offer.numGpus}x ${offer.gpuName} at ${formatPrice(offer.pricePerHour)} in ${offer.location}`,
    );
    try {
      const providerId = await ctx.provider.createInstance({
        offerId: offer.id,
        image: rental.image,
        diskGb: rental.diskGb,
        label: rental.label,
      });
      return { providerId, offer, status: 'provisioning' };
    } catch (err) {
      if (isGpuopsError(err) && err.code === ErrorCode.OfferGone) {
        taken.push(offer.id);
        ctx.log.info(
          { op: ctx.operation.id, offer: offer.id },
          'offer taken before we could rent it; trying the next',
        );
        await ctx.report(options.stepIndex, `offer ${offer.id} was just taken; trying the next best`);
        continue;
      }
      if (isGpuopsError(err) && err.retryable) {
        // The rental may have happened even though the answer was lost: look before retrying.
        const adopted = (await ctx.provider.listInstances()).find((i) => i.label === rental.label);
        if (adopted) return { providerId: adopted.id, offer, status: adopted.status };
      }
      throw err;
    }
  }
  // Retryable: the next attempt searches the market afresh. Deploys asked for at once (a busy
  // hour: 150 at once, 19 of one GPU) all find the same few best offers and take them from one
  // another, while the market still has plenty.
  throw new GpuopsError(
    ErrorCode.NoMatchingOffer,
    `All ${taken.length} matching offers (${taken.join(', ')}) were taken by others while I tried to rent them. Ask again in a minute, or raise the price.`,
    { retryable: true },
  );
}
