import type { Transition } from './instance-record.ts';

/** Delays at timeScale 1, in milliseconds, in the range vast.ai shows. */
export const BASE_DELAYS_MS = {
  /** Created → loading: the host accepts the contract and starts the pull. */
  provision: 8_000,
  /** Loading → running on the first start: pulling the image. */
  pullImage: 20_000,
  /** Running → stopped. */
  stop: 3_000,
  /** Stopped → loading after a start request (the image is cached on the machine). */
  restartLoading: 2_000,
  /** Stopped → running after a start request. */
  restart: 5_000,
  /** How long a stopped instance keeps its machine's GPUs before others may rent them. */
  stoppedHold: 600_000,
} as const;

/** Where in the pull a host injected with `host-failure {on: "next-create"}` dies. */
const FAILURE_POINT_IN_PULL = 0.4;

/** When each step of an instance's life comes, at the simulator's time scale. */
export class LifecycleTiming {
  /** `timeScale` multiplies every delay: 1 is vast.ai-like, 0 immediate. */
  constructor(private readonly timeScale: number) {}

  /** Provisioning, then pulling the image: a new instance, or one called back before it loaded. */
  boot(now: number): Transition[] {
    const loadingAt = now + this.delay(BASE_DELAYS_MS.provision);
    return [
      { at: loadingAt, to: 'loading' },
      { at: loadingAt + this.delay(BASE_DELAYS_MS.pullImage), to: 'running' },
    ];
  }

  /** The pull again, for an instance called back while it was loading. */
  finishPull(now: number): Transition[] {
    return [{ at: now + this.delay(BASE_DELAYS_MS.pullImage), to: 'running' }];
  }

  /** A stopped instance starting again on its machine, where the image is cached. */
  restart(now: number): Transition[] {
    return [
      { at: now + this.delay(BASE_DELAYS_MS.restartLoading), to: 'loading' },
      { at: now + this.delay(BASE_DELAYS_MS.restart), to: 'running' },
    ];
  }

  stop(now: number): Transition[] {
    return [{ at: now + this.delay(BASE_DELAYS_MS.stop), to: 'stopped' }];
  }

  /** An injected host failure strikes partway through the pull that began at `loadingAt`. */
  hostFailureDuringPull(loadingAt: number): Transition[] {
    return [
      { at: loadingAt + this.delay(BASE_DELAYS_MS.pullImage) * FAILURE_POINT_IN_PULL, to: 'host-failure' },
    ];
  }

  /** Until when (epoch ms) an instance stopped at `stoppedAt` keeps its machine's GPUs. */
  gpusHeldUntil(stoppedAt: number): number {
    return stoppedAt + this.delay(BASE_DELAYS_MS.stoppedHold);
  }

  private delay(baseMs: number): number {
    return baseMs * this.timeScale;
  }
}
