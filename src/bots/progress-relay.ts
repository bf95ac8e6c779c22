import type { ProgressView } from '../jobs/progress.ts';

/**
 * Edits one chat message as progress arrives, at most once per interval, always ending with the
 * final state. A message has at most one edit on its way at any time: views that arrive while one
 * is waiting (for the interval, or for the workspace's edit budget) are coalesced into the latest,
 * so a congested workspace sees fewer intermediate edits and every final state sooner. Edits never
 * overlap or go out of order.
 */
export class ProgressRelay {
  /** The newest view not sent yet. */
  private latest: ProgressView | undefined;
  private lastEditAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private finished = false;
  private finalSent: (() => void) | undefined;

  constructor(
    private readonly edit: (view: ProgressView) => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  progress(view: ProgressView): void {
    if (this.finished) return;
    this.latest = view;
    this.schedule();
  }

  /** Sends the final state as soon as the interval allows and ignores later progress. */
  final(view: ProgressView): Promise<void> {
    this.finished = true;
    this.latest = view;
    const sent = new Promise<void>((resolve) => {
      this.finalSent = resolve;
    });
    this.schedule();
    return sent;
  }

  private schedule(): void {
    if (this.sending || this.timer || !this.latest) return;
    const wait = this.lastEditAt + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.send();
      }, wait);
      return;
    }
    this.send();
  }

  private send(): void {
    const view = this.latest;
    if (!view) return;
    this.latest = undefined;
    this.sending = true;
    this.lastEditAt = Date.now();
    const isFinal = this.finished && this.latest === undefined;
    void this.edit(view)
      .catch(this.onError)
      .finally(() => {
        this.sending = false;
        if (this.latest) {
          this.schedule();
        } else if (isFinal) {
          this.finalSent?.();
        }
      });
  }
}
