import type { RequestContext } from './request-context.ts';

/** The long operations, each run as a job. */
export type OperationKind =
  | 'deploy'
  | 'pause'
  | 'resume'
  | 'destroy'
  | 'snapshot'
  | 'restore'
  | 'failover'
  | 'standby'
  | 'standby_off'
  | 'hibernate'
  /** A job (src/domain/jobs.ts): a command run on a machine to its end. */
  | 'run_job';

/** A started operation, as the bots follow it. */
export interface JobRef {
  operationId: string;
  kind: OperationKind;
  instance?: string;
}

/** What every kind's job data is made of: one object per kind. */
export type OperationInputs = { readonly [K in OperationKind]: object };

/** One operation to put on the queue, its data typed by its kind. */
export interface OperationRequest<Inputs extends OperationInputs, K extends OperationKind> {
  kind: K;
  args: Inputs[K];
  context: RequestContext;
  instanceId?: number;
  /** Queued operations of these kinds on the same instance are cancelled in favour of this one. */
  supersedes?: readonly OperationKind[];
}

/**
 * Puts an operation on the job queue; implemented in src/jobs. `Inputs` maps each kind to the data
 * its job is given (src/tools/schemas.ts's `OperationArgsIn`), so the compiler holds every caller
 * to its kind's schema, and the job parses the same schema back.
 */
export interface OperationEnqueuer<Inputs extends OperationInputs> {
  enqueue<K extends OperationKind>(request: OperationRequest<Inputs, K>): Promise<JobRef>;
}
