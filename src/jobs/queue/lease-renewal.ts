/**
 * Keeps a lease (db/lease.ts) alive in the background: renews it every third of its length until
 * stopped. Every holder that renews a lease renews it through this. Once a renewal finds the lease
 * is no longer its holder's (another took it after it ran out, or it was ended under the holder),
 * it is lost for good: renewing stops and `lost` says so. A renewal the database did not answer is
 * simply tried again next time.
 */
export class LeaseRenewal {
  private lostLease = false;
  private stopped = false;
  private inFlight: Promise<boolean> | undefined;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param renewOnce extends the lease once, on the database's clock; false when it is no longer
   *   the holder's.
   * @param onLost called once, when a renewal finds the lease lost.
   */
  constructor(
    private readonly renewOnce: () => Promise<boolean>,
    leaseMs: number,
    private readonly onLost?: () => void,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(250, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  get lost(): boolean {
    return this.lostLease;
  }

  /** Renews now (or joins the renewal under way); true while the lease is still held. */
  renew(): Promise<boolean> {
    if (this.lostLease || this.stopped) return Promise.resolve(!this.lostLease && !this.stopped);
    this.inFlight ??= this.renewNow().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async renewNow(): Promise<boolean> {
    try {
      if (!(await this.renewOnce()) && !this.lostLease) {
        this.lostLease = true;
        clearInterval(this.timer);
        this.onLost?.();
      }
    } catch {
      // The database did not answer this time; the lease lasts until the next try.
    }
    return !this.lostLease;
  }

  /**
   * Stops renewing. Resolves once no renewal is in flight, so a release that follows cannot be
   * overtaken by a late renewal; never rejects.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.inFlight;
  }
}
