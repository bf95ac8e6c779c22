import type { ProgressView } from '../jobs/queue/progress.ts';

/**
 * Sends one edit. `view` is the newest view when the edit was handed over; `newest()` returns the
 * newest view at the moment it is called (taking it: it counts as the one on its way). A sender
 * that waits its turn (an edit budget) calls `newest()` when the turn comes, so what arrived while
 * it waited, a final state included, goes out in that same edit instead of needing another turn.
 * A sender that never calls it sends `view`, and newer views go out next.
 */
export type ProgressEdit = (view: ProgressView, newest: () => ProgressView) => Promise<void>;

/** How a refused final edit is tried again: after `firstDelayMs`, doubling up to `maxDelayMs`. */
export interface FinalRetry {
  /** Tries after the first one. */
  tries: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** 1 + 4 tries over about half a minute (2, 4, 8, 16 s): a platform's 5xx or a brief outage. */
export const DEFAULT_FINAL_RETRY: FinalRetry = { tries: 4, firstDelayMs: 2_000, maxDelayMs: 30_000 };

/**
 * Edits one chat message as progress arrives, at most once per interval, always ending with the
 * final state. A message has at most one edit on its way at any time: views that arrive while one
 * is waiting (for the interval, or for the workspace's edit budget) are coalesced into the latest,
 * and the edit reads the latest when its turn comes, so a congested workspace sees fewer
 * intermediate edits and every final state sooner. Edits never overlap or go out of order.
 *
 * An intermediate edit that fails is not tried again (a newer view replaces it); a final one is,
 * with backoff, and `final()` says whether it got through, so the caller records the message as
 * shown only when the platform took it.
 */
export class ProgressRelay {
  /** The newest view not on its way yet. */
  private latest: ProgressView | undefined;
  /** The view the edit under way carries (the one it took last). */
  private onItsWay: ProgressView | undefined;
  private lastEditAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private finalView: ProgressView | undefined;
  private finalRetries = 0;
  private retriesLeft = 0;
  private finalDone: ((delivered: boolean) => void) | undefined;
  private finalOutcome: Promise<boolean> | undefined;

  constructor(
    private readonly edit: ProgressEdit,
    private readonly minIntervalMs: number,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly retry: FinalRetry = DEFAULT_FINAL_RETRY,
  ) {}

  progress(view: ProgressView): void {
    if (this.finalView) return;
    this.latest = view;
    this.schedule();
  }

  /**
   * Sends the final state as soon as the interval allows and ignores later progress. Resolves
   * true once the platform took it, false when every try was refused. `retry: false` tries once
   * (a process shutting down hands the message on rather than waiting).
   */
  final(view: ProgressView, options: { retry?: boolean } = {}): Promise<boolean> {
    // A message has one ending: asking again waits for the same one.
    if (this.finalOutcome) return this.finalOutcome;
    this.finalView = view;
    this.retriesLeft = options.retry === false ? 0 : this.retry.tries;
    this.latest = view;
    this.finalOutcome = new Promise<boolean>((resolve) => {
      this.finalDone = resolve;
    });
    this.schedule();
    return this.finalOutcome;
  }

  private schedule(): void {
    if (this.sending || this.timer || !this.latest) return;
    const wait = this.lastEditAt + this.minIntervalMs - Date.now();
    if (wait > 0) this.sendAfter(wait);
    else this.send();
  }

  private sendAfter(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, ms);
  }

  private send(): void {
    const view = this.latest;
    if (!view) return;
    this.latest = undefined;
    this.onItsWay = view;
    this.sending = true;
    this.lastEditAt = Date.now();
    const newest = (): ProgressView => {
      if (this.latest) {
        this.onItsWay = this.latest;
        this.latest = undefined;
      }
      return this.onItsWay ?? view;
    };
    let sending: Promise<void>;
    try {
      sending = this.edit(view, newest);
    } catch (err) {
      sending = Promise.reject(err);
    }
    void sending.then(
      () => this.settled(true),
      (err: unknown) => {
        try {
          this.onError(err);
        } finally {
          this.settled(false);
        }
      },
    );
  }

  private settled(ok: boolean): void {
    const sent = this.onItsWay;
    this.onItsWay = undefined;
    this.sending = false;
    if (sent !== undefined && sent === this.finalView) {
      if (ok) {
        this.finalDone?.(true);
        return;
      }
      // Progress stops at the final state, so nothing newer can have replaced it: it goes back
      // as the view owed, and is tried again after a pause that doubles each time.
      if (this.retriesLeft <= 0) {
        this.finalDone?.(false);
        return;
      }
      this.retriesLeft--;
      const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** this.finalRetries++);
      this.latest = sent;
      this.sendAfter(delay);
      return;
    }
    // An intermediate view (sent or refused) is replaced by whatever came after it, the final
    // state included.
    this.schedule();
  }
}
