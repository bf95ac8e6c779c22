/**
 * Runs async tasks one at a time, in the order they were queued. The simulator's state changes
 * (a request, a timer firing, an admin action) go through one queue so that none of them sees
 * another half done, e.g. an instance marked running before its SSH port is listening.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task);
    // The caller gets the task's error through `result`; the next task runs either way.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
