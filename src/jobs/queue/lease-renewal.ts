/**
 * Keeps a lease alive in the background: renews it every third of its length until stopped. Once
 * a renewal finds the lease is no longer its holder's (it ran out and someone else took it), it is
 * lost for good; a renewal the database did not answer is simply tried again next time.
 */
export class LeaseRenewal {
  private lostLease = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly renewOnce: () => Promise<boolean>,
    leaseMs: number,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(250, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  get lost(): boolean {
    return this.lostLease;
  }

  /** Renews now; true while the lease is still held. */
  async renew(): Promise<boolean> {
    if (this.lostLease || this.stopped) return !this.lostLease && !this.stopped;
    try {
      if (!(await this.renewOnce())) {
        this.lostLease = true;
        clearInterval(this.timer);
      }
    } catch {
      // The database did not answer this time; the lease lasts until the next try.
    }
    return !this.lostLease;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
