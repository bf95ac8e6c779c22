import { redact } from './redact.ts';

/**
 * Every error a user can see carries a code from this list, a message that says what to do, and
 * whether trying again can help. Job processors rethrow non-retryable ones as BullMQ's
 * UnrecoverableError so the queue does not waste attempts on them.
 */
export const ErrorCode = {
  ConfigInvalid: 'config_invalid',
  BadInput: 'bad_input',
  UnknownGpu: 'unknown_gpu',
  PriceOutOfRange: 'price_out_of_range',
  InstanceNotFound: 'instance_not_found',
  InstanceNotYours: 'instance_not_yours',
  InvalidState: 'invalid_state',
  OperationInFlight: 'operation_in_flight',
  /** The job behind an operation was lost (its workers died too often, or it was removed). */
  Abandoned: 'abandoned',
  NoMatchingOffer: 'no_matching_offer',
  OfferGone: 'offer_gone',
  ProviderRateLimited: 'provider_rate_limited',
  ProviderUnavailable: 'provider_unavailable',
  ProviderRejected: 'provider_rejected',
  ProviderAuth: 'provider_auth',
  /** A cloud quota (CPUs, addresses, instances) would be exceeded; raising it is the account's business. */
  QuotaExceeded: 'quota_exceeded',
  /** The cloud zone has no capacity for the machine asked for right now (GCP's resource pool exhausted). */
  CapacityUnavailable: 'capacity_unavailable',
  /** A feature that needs settings that are not set (GCP for CPU standby). */
  NotConfigured: 'not_configured',
  HostFailed: 'host_failed',
  ResumeUnavailable: 'resume_unavailable',
  SshFailed: 'ssh_failed',
  /** Snapshot storage (S3-compatible) refused or failed a request. */
  StorageFailed: 'storage_failed',
  /** A restored workspace does not match its snapshot's manifest. */
  SnapshotMismatch: 'snapshot_mismatch',
  Timeout: 'timeout',
  Cancelled: 'cancelled',
  /** A job's command ended with a non-zero status (or a signal). */
  JobFailed: 'job_failed',
  /** A job reached its time limit and was stopped. */
  JobTimedOut: 'job_timed_out',
  /** A job reached its money limit and was stopped. */
  JobOverBudget: 'job_over_budget',
  /** A job's machine was lost (preempted, died) and no retry was left. */
  JobLost: 'job_lost',
  /** A job, or a job id, that is not there or not the requester's. */
  JobNotFound: 'job_not_found',
  LlmUnavailable: 'llm_unavailable',
  /** The model server refused gpuops's API key (HTTP 401 or 403). */
  LlmAuth: 'llm_auth',
  /** The model server refused the request itself (an unknown model, a request it cannot take). */
  LlmRejected: 'llm_rejected',
  DatabaseUnavailable: 'database_unavailable',
  QueueUnavailable: 'queue_unavailable',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface GpuopsErrorOptions {
  /** True when the same call may succeed later (rate limits, 5xx, timeouts). Default false. */
  retryable?: boolean;
  cause?: unknown;
  /** Extra facts for logs and for the chat rendering (never secrets). */
  details?: Record<string, unknown>;
}

export class GpuopsError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: GpuopsErrorOptions = {}) {
    // Messages are shown, logged and stored: one built from an outside error's text must not
    // carry a key it echoed. The cause stays as it was; the logger redacts what it writes of it.
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    // Set explicitly so `name` survives serialisation through the queue.
    this.name = 'GpuopsError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

export function isGpuopsError(err: unknown): err is GpuopsError {
  return err instanceof GpuopsError;
}

/** Wraps anything thrown into a GpuopsError, keeping the original as its cause. */
export function asGpuopsError(err: unknown): GpuopsError {
  if (err instanceof GpuopsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isDatabaseOutage(err)) {
    return new GpuopsError(
      ErrorCode.DatabaseUnavailable,
      `gpuops could not reach its database (${message}). Try again in a minute; if it persists, check that Postgres is up and DATABASE_URL points at it (gpuops doctor).`,
      { cause: err, retryable: true },
    );
  }
  return new GpuopsError(ErrorCode.Internal, `Something went wrong inside gpuops: ${message}`, {
    cause: err,
  });
}

/**
 * Postgres's own signs that the server is unreachable or going away: SQLSTATE classes 08
 * (connection exception), 53 (insufficient resources) and 57 (operator intervention, e.g. a
 * shutdown), and what node-postgres says when a connection is cut or cannot be made in time.
 */
function isDatabaseOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const sqlState = (err as { code?: unknown }).code;
  if (typeof sqlState === 'string' && /^(08|53|57)[0-9A-Z]{3}$/.test(sqlState)) return true;
  return /^(Connection terminated( unexpectedly)?|timeout exceeded when trying to connect|Cannot use a pool after calling end on the pool)/.test(
    err.message,
  );
}
