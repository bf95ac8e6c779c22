/**
 * The auto-pause rule, apart from the I/O: as dstack's `utilization_policy`, an instance is idle
 * when every GPU stays under the policy's minimum utilisation for the whole time window, judged
 * from samples the idle check takes on a schedule. An idle episode starts at the first sample
 * under the threshold and continues while every sample is; a busy sample, a gap in the samples
 * (the instance could not be reached, or was paused and resumed) or a snooze ends it. Once an
 * episode has lasted the window the channel is warned, and once the grace after the warning has
 * passed with the GPUs still idle, the instance is paused: one pause per episode.
 */

export interface IdleRule {
  idleMinutes: number;
  /** An instance is busy while any GPU is at or above this utilisation (%). */
  minUtilization: number;
}

/** The episode as the watch row holds it. */
export interface EpisodeState {
  idleSince: Date | null;
  lastSampleAt: Date | null;
  warnedAt: Date | null;
  pauseDueAt: Date | null;
}

export interface IdleTiming {
  /** Between the warning and the pause. */
  graceMs: number;
  /** Two samples further apart than this do not make one episode: nobody saw what ran between. */
  maxSampleGapMs: number;
}

export interface Sample {
  at: Date;
  /** Per GPU, in %. */
  utilization: readonly number[];
}

export type IdleStep =
  /** A GPU is in use: no episode (any warning given is called off). */
  | { kind: 'busy'; utilization: number; wasWarned: boolean }
  /** Idle, but not yet for the window (or warned and inside the grace). `fresh`: a new episode. */
  | { kind: 'idle'; idleSince: Date; fresh: boolean; utilization: number }
  /** Idle for the whole window: tell the channel the pause is coming at `pauseDueAt`. */
  | { kind: 'warn'; idleSince: Date; pauseDueAt: Date; utilization: number }
  /** Warned, and still idle after the grace: pause it. */
  | { kind: 'pause'; idleSince: Date; utilization: number };

/** The busiest GPU's utilisation: an instance is only as idle as its busiest GPU. */
export function busiest(utilization: readonly number[]): number {
  return utilization.reduce((max, u) => Math.max(max, u), 0);
}

/**
 * What one sample means for the instance's episode. `runningSince`: when the instance last
 * started; an episode from before that is over (it was paused and resumed meanwhile).
 */
export function nextIdleStep(
  state: EpisodeState,
  sample: Sample,
  rule: IdleRule,
  timing: IdleTiming,
  runningSince: Date | null = null,
): IdleStep {
  const utilization = busiest(sample.utilization);
  const at = sample.at.getTime();
  if (utilization >= rule.minUtilization) {
    return { kind: 'busy', utilization, wasWarned: state.warnedAt !== null };
  }
  const continues =
    state.idleSince !== null &&
    state.lastSampleAt !== null &&
    at - state.lastSampleAt.getTime() <= timing.maxSampleGapMs &&
    (runningSince === null || state.idleSince.getTime() >= runningSince.getTime());
  if (!continues || state.idleSince === null) {
    return { kind: 'idle', idleSince: sample.at, fresh: true, utilization };
  }
  const idleSince = state.idleSince;
  if (at - idleSince.getTime() < rule.idleMinutes * 60_000) {
    return { kind: 'idle', idleSince, fresh: false, utilization };
  }
  if (state.warnedAt === null || state.pauseDueAt === null) {
    return { kind: 'warn', idleSince, pauseDueAt: new Date(at + timing.graceMs), utilization };
  }
  if (at >= state.pauseDueAt.getTime()) return { kind: 'pause', idleSince, utilization };
  return { kind: 'idle', idleSince, fresh: false, utilization };
}

/** The pause operation's id for one episode: the same on every try, so it is never queued twice. */
export function autoPauseOperationId(instanceId: number, idleSince: Date): string {
  return `op-idle-${instanceId}-${idleSince.getTime().toString(36)}`;
}
