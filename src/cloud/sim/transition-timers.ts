/**
 * One timer per instance, set for its next scheduled transition. A timer only says "something is
 * due"; the registry applies what is due in order (see InstanceRegistry), so a late or early
 * timer never changes what an instance goes through.
 */
export class TransitionTimers {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  /** `onDue` runs when an instance's timer fires; by then the timer is forgotten. */
  constructor(private readonly onDue: (instanceId: number) => void) {}

  /** Replaces the instance's timer with one firing at `at` (epoch ms), or at once if that has passed. */
  set(instanceId: number, at: number): void {
    this.clear(instanceId);
    const timer = setTimeout(
      () => {
        this.timers.delete(instanceId);
        this.onDue(instanceId);
      },
      Math.max(0, at - Date.now()),
    );
    this.timers.set(instanceId, timer);
  }

  clear(instanceId: number): void {
    const timer = this.timers.get(instanceId);
    if (timer) clearTimeout(timer);
    this.timers.delete(instanceId);
  }

  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
