export interface EditBudgetLimits {
  /** Edits allowed in any `intervalMs` for one key (a Slack workspace, a Discord channel). */
  limit: number;
  intervalMs: number;
}

/** The time an edit budget reads and waits on; a test gives it a fake one. */
export interface EditBudgetClock {
  now(): number;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
}

const realClock: EditBudgetClock = {
  now: () => performance.now(),
  sleep: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, ms);
    }),
};

interface Lane {
  /** Edits waiting their turn, in the order they were asked for. */
  queue: Array<() => void>;
  /**
   * The edits that count against the window: those still under way (`end` undefined) and those
   * that ended less than `intervalMs` ago.
   */
  recent: Array<{ end: number | undefined }>;
  /** Settles when a running edit ends, so a full lane re-checks then rather than at a guess. */
  ended: (() => void) | undefined;
  draining: boolean;
}

/**
 * Keeps the message edits sent to one workspace (or guild channel) within the platform's rate
 * limit, whatever the number of operations running at once. Progress relays coalesce views per
 * message, so a busy workspace sees fewer, later intermediate edits, and every final state still
 * goes out in its turn (first asked, first sent).
 *
 * The window is counted from where the platform can have seen each edit: an edit reaches the
 * platform somewhere between its start and its end, so a new edit starts only when fewer than
 * `limit` edits are under way or ended less than `intervalMs` ago. Then, as the platform counts
 * arrivals, no `intervalMs` window anywhere holds more than `limit` (an edit that was slow to go
 * out cannot bunch up with the ones after it), whatever the network's delays.
 */
export class EditBudget {
  private readonly lanes = new Map<string, Lane>();
  private sentCount = 0;

  constructor(
    private readonly limits: EditBudgetLimits,
    private readonly clock: EditBudgetClock = realClock,
  ) {
    if (!(limits.limit >= 1) || !(limits.intervalMs > 0)) {
      throw new RangeError('An edit budget needs a limit of at least 1 and an interval above 0.');
    }
  }

  /** Sends `send` when `key`'s budget allows. */
  spend<T>(key: string, send: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queue: [], recent: [], ended: undefined, draining: false };
      this.lanes.set(key, lane);
    }
    const owned = lane;
    return new Promise<T>((resolve, reject) => {
      owned.queue.push(() => {
        const slot: { end: number | undefined } = { end: undefined };
        owned.recent.push(slot);
        this.sentCount++;
        let sending: Promise<T>;
        try {
          sending = send();
        } catch (err) {
          sending = Promise.reject(err);
        }
        void sending.then(resolve, reject).finally(() => {
          slot.end = this.clock.now();
          const wake = owned.ended;
          owned.ended = undefined;
          wake?.();
        });
      });
      void this.drain(key, owned);
    });
  }

  get sent(): number {
    return this.sentCount;
  }

  private async drain(key: string, lane: Lane): Promise<void> {
    if (lane.draining) return;
    lane.draining = true;
    try {
      while (lane.queue.length > 0) {
        const wait = this.waitFor(lane);
        if (wait === 0) {
          lane.queue.shift()?.();
          continue;
        }
        const ended = new Promise<void>((resolve) => {
          lane.ended = resolve;
        });
        await (wait === Number.POSITIVE_INFINITY ? ended : Promise.race([ended, this.clock.sleep(wait)]));
      }
    } finally {
      lane.draining = false;
      if (lane.queue.length === 0 && lane.recent.length === 0) this.lanes.delete(key);
    }
  }

  /**
   * 0 when an edit may start now; else how long until the oldest ended edit leaves the window
   * (Infinity when every counted edit is still under way: the next one waits for an end).
   */
  private waitFor(lane: Lane): number {
    const now = this.clock.now();
    const { limit, intervalMs } = this.limits;
    lane.recent = lane.recent.filter((slot) => slot.end === undefined || now - slot.end < intervalMs);
    if (lane.recent.length < limit) return 0;
    const ends = lane.recent.map((slot) => slot.end).filter((end): end is number => end !== undefined);
    if (ends.length === 0) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.min(...ends) + intervalMs - now);
  }
}
