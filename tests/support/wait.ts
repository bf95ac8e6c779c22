import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Default 5 s. */
  timeoutMs?: number;
  /** Default 20 ms. */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  what?: string;
}

/**
 * Polls `predicate` until it returns something truthy, and returns that. A predicate that throws
 * is retried; on timeout the last error is the cause, so a failing test says why it waited.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}
