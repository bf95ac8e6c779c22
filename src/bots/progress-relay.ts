import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgressView } from '../jobs/progress.ts';

/**
 * Edits one chat message as progress arrives, at most once per interval, always ending with the
 * final state. Intermediate views that arrive faster than the interval are coalesced into the
 * latest one; edits never overlap or go out of order.
 */
export class ProgressRelay {
  private latest: ProgressView | undefined;
  /** When the latest queued edit goes out (or went out). */
  private lastEditAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly edit: (view: ProgressView) => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  progress(view: ProgressView): void {
    if (this.finished) return;
    this.latest = view;
    const wait = this.lastEditAt + this.minIntervalMs - Date.now();
    if (wait <= 0 && !this.timer) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.flush();
        },
        Math.max(0, wait),
      );
    }
  }

  /** Sends the final state as soon as the interval allows and ignores later progress. */
  final(view: ProgressView): Promise<void> {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    return this.enqueue(view);
  }

  private flush(): void {
    const view = this.latest;
    this.latest = undefined;
    if (view) void this.enqueue(view);
  }

  private enqueue(view: ProgressView): Promise<void> {
    // Slots are booked when an edit is queued, so edits stay spaced even while one is in flight;
    // the final state may come right after an edit and then waits its turn.
    const slot = Math.max(Date.now(), this.lastEditAt + this.minIntervalMs);
    this.lastEditAt = slot;
    this.chain = this.chain
      .then(async () => {
        const wait = slot - Date.now();
        if (wait > 0) await sleep(wait);
        await this.edit(view);
      })
      .catch(this.onError);
    return this.chain;
  }
}
