import pThrottle from 'p-throttle';

export interface EditBudgetLimits {
  /** Edits allowed per `intervalMs` for one key (a Slack workspace, a Discord channel). */
  limit: number;
  intervalMs: number;
}

/**
 * Keeps the message edits sent to one workspace (or guild channel) within the platform's rate
 * limit, whatever the number of operations running at once. Progress relays coalesce views per
 * message, so a busy workspace sees fewer, later intermediate edits, and every final state still
 * goes out in its turn.
 */
export class EditBudget {
  private readonly lanes = new Map<string, <T>(send: () => Promise<T>) => Promise<T>>();
  private sentCount = 0;

  constructor(private readonly limits: EditBudgetLimits) {}

  /** Sends `send` when `key`'s budget allows. */
  spend<T>(key: string, send: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      const throttled = pThrottle({
        limit: this.limits.limit,
        interval: this.limits.intervalMs,
        strict: true,
      })((run: () => Promise<unknown>) => run());
      lane = <T>(run: () => Promise<T>) => throttled(run) as Promise<T>;
      this.lanes.set(key, lane);
    }
    return lane(() => {
      this.sentCount++;
      return send();
    });
  }

  get sent(): number {
    return this.sentCount;
  }
}
