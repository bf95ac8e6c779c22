import type { OperationResult } from '../../domain/operation-result.ts';
import type { OperationKind } from '../../domain/operations.ts';

/**
 * What a job reports while it runs, and what the bot side renders into one chat message. The
 * same shape travels through BullMQ's progress events and is written to the operation's row.
 */
export interface ProgressView {
  operationId: string;
  kind: OperationKind;
  /** "i-3" once the instance exists. */
  instance?: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  step: string;
  stepIndex: number;
  stepCount: number;
  /** 0-100. */
  pct: number;
  startedAt: number;
  /** Set by the renderer from startedAt, or by the job at the end. */
  elapsedMs?: number;
  detail?: string;
  /** A job's last lines of output, oldest first (run_job). */
  output?: string[];
  /** A job's cost so far in USD, every machine it used included (run_job). */
  costSoFar?: number;
  result?: OperationResult;
  error?: { code: string; message: string };
}

/** Steps of each job kind, in order; progress percentages come from the step index. */
export const JOB_STEPS: Record<OperationKind, readonly string[]> = {
  deploy: ['Finding an offer', 'Renting the machine', 'Starting the machine', 'Checking SSH and GPUs'],
  pause: ['Stopping the instance', 'Waiting for it to stop'],
  resume: ['Starting the instance', 'Waiting for it to run', 'Checking SSH'],
  destroy: ['Destroying the instance', 'Confirming it is gone'],
  snapshot: ['Listing the workspace', 'Uploading what changed', 'Saving the manifest'],
  restore: ['Streaming the snapshot onto the instance', 'Verifying every file'],
  failover: [
    'Listing the workspace',
    'Uploading what changed',
    'Saving the manifest',
    'Finding a replacement',
    'Renting the replacement',
    'Starting the replacement',
    'Restoring the workspace',
    'Verifying every file',
    'Moving the instance onto the replacement',
    'Releasing the old machine',
  ],
  standby: ['Creating the VM at GCP', 'Copying the latest snapshot onto it', 'Verifying every file'],
  standby_off: ['Deleting the VM at GCP', 'Confirming it is gone'],
  run_job: [
    'Finding a machine',
    'Renting the machine',
    'Starting the machine',
    'Checking SSH and GPUs',
    'Fetching inputs',
    'Running the command',
    'Keeping the artifacts',
    'Releasing the machine',
  ],
  hibernate: [
    'Starting the machine to read its workspace',
    'Listing the workspace',
    'Uploading what changed',
    'Saving the manifest',
    'Releasing the machine',
    'Confirming it is gone',
  ],
};

/** A deploy that restores a snapshot onto its new machine has the restore's steps too. */
const DEPLOY_AND_RESTORE = [...JOB_STEPS.deploy, 'Restoring the snapshot', 'Verifying every file'] as const;

/** The steps of one operation: its kind's, and for a deploy with a snapshot to restore, the restore's. */
export function stepsOf(operation: { kind: OperationKind; args?: unknown }): readonly string[] {
  const args = operation.args as { restore_snapshot?: string } | null | undefined;
  if (operation.kind === 'deploy' && args?.restore_snapshot) return DEPLOY_AND_RESTORE;
  return JOB_STEPS[operation.kind];
}

export function stepProgress(
  operation: Pick<ProgressView, 'operationId' | 'kind' | 'startedAt' | 'instance'> & {
    steps?: readonly string[];
  },
  stepIndex: number,
  detail?: string,
  withinStep = 0,
  extra: Pick<ProgressView, 'output' | 'costSoFar'> = {},
): ProgressView {
  const { steps: ownSteps, ...base } = operation;
  const steps = ownSteps ?? JOB_STEPS[base.kind];
  const pct = Math.min(
    99,
    Math.round(((stepIndex + Math.max(0, Math.min(1, withinStep))) / steps.length) * 100),
  );
  return {
    ...base,
    state: 'running',
    step: steps[stepIndex] ?? 'Working',
    stepIndex,
    stepCount: steps.length,
    pct,
    ...(detail === undefined ? {} : { detail }),
    ...(extra.output && { output: extra.output }),
    ...(extra.costSoFar !== undefined && { costSoFar: extra.costSoFar }),
  };
}

export function isProgressView(value: unknown): value is ProgressView {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProgressView).operationId === 'string' &&
    typeof (value as ProgressView).step === 'string'
  );
}
