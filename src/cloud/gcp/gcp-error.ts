import { ErrorCode, GpuopsError } from '../../errors.ts';

/** Where a GCP call went, for messages that name the setting to change. */
export interface GcpPlace {
  project: string;
  zone: string;
  machineType?: string;
}

/** gRPC status codes google-gax gives REST errors, as the HTTP status they came from. */
const GRPC_TO_HTTP: Record<number, number> = { 3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 14: 503, 16: 401 };

/** What Node and google-gax say when no answer came in time. */
const TIMED_OUT = /deadline exceeded|total timeout|timed? ?out|ETIMEDOUT/i;
/** What Node says when the endpoint could not be reached at all. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up|fetch failed/i;
/** What google-auth-library says when it has no usable credentials. */
const NO_CREDENTIALS =
  /could not load the default credentials|ENOENT|no such file|Unexpected token|not valid JSON|private_key|client_email|invalid_grant/i;

/**
 * Turns what @google-cloud/compute (google-gax over REST) or google-auth-library threw into a
 * GpuopsError with a code, a message that says what to change, and whether a retry can help.
 * google-gax keeps the HTTP status (`httpStatusCode`) and Google's message, not the `reason`.
 */
export function gcpError(err: unknown, what: string, place: GcpPlace): GpuopsError {
  if (err instanceof GpuopsError) return err;
  const e = (err ?? {}) as { httpStatusCode?: number; code?: number | string; message?: string };
  const detail = (e.message ?? String(err)).trim();
  const status = e.httpStatusCode ?? (typeof e.code === 'number' ? GRPC_TO_HTTP[e.code] : undefined);
  const options = (retryable: boolean) => ({ retryable, cause: err, details: { status } });
  const where = `project ${place.project}, zone ${place.zone}`;
  if (status === 401) {
    return new GpuopsError(
      ErrorCode.ProviderAuth,
      `${what}: GCP refused gpuops's credentials (${detail}). Point GOOGLE_APPLICATION_CREDENTIALS at a valid service-account key file, or run "gcloud auth application-default login".`,
      options(false),
    );
  }
  if (status === 403 && /quota/i.test(detail)) {
    return new GpuopsError(
      ErrorCode.QuotaExceeded,
      `${what}: ${detail} Raise the quota in the Google Cloud console (IAM & Admin → Quotas) or choose a smaller GPUOPS_GCP_MACHINE_TYPE.`,
      options(false),
    );
  }
  if (status === 429 || (status === 403 && /rate ?limit/i.test(detail))) {
    return new GpuopsError(
      ErrorCode.ProviderRateLimited,
      `${what}: GCP asks gpuops to slow down (${detail}); trying again later helps.`,
      options(true),
    );
  }
  if (status === 403) {
    return new GpuopsError(
      ErrorCode.ProviderAuth,
      `${what}: GCP refused (${detail}). The service account needs the Compute Instance Admin (v1) role on project ${place.project}, and the Compute Engine API must be enabled there.`,
      options(false),
    );
  }
  if (status === 404) {
    return new GpuopsError(
      ErrorCode.ProviderRejected,
      `${what}: GCP does not know it (${detail}). Check GPUOPS_GCP_PROJECT (${place.project}) and GPUOPS_GCP_ZONE (${place.zone}).`,
      options(false),
    );
  }
  if (status === 400 || status === 409) {
    const hint = /machine ?type/i.test(detail)
      ? ` Check GPUOPS_GCP_MACHINE_TYPE${place.machineType ? ` (${place.machineType})` : ''}.`
      : /zone/i.test(detail)
        ? ` Check GPUOPS_GCP_ZONE (${place.zone}).`
        : /image/i.test(detail)
          ? ' Check GPUOPS_GCP_IMAGE.'
          : '';
    return new GpuopsError(
      ErrorCode.ProviderRejected,
      `${what}: GCP rejected the request (${detail}).${hint}`,
      options(false),
    );
  }
  if (status !== undefined && status >= 500) {
    return new GpuopsError(
      ErrorCode.ProviderUnavailable,
      `${what}: GCP failed (${status}: ${detail}); trying again later usually helps.`,
      options(true),
    );
  }
  if (e.code === 4 || TIMED_OUT.test(detail)) {
    return new GpuopsError(
      ErrorCode.Timeout,
      `${what}: GCP did not answer in time (${where}).`,
      options(true),
    );
  }
  if (UNREACHABLE.test(detail)) {
    return new GpuopsError(
      ErrorCode.ProviderUnavailable,
      `${what}: the Compute API could not be reached (${detail}). Check the network and GPUOPS_GCP_API_ENDPOINT if set.`,
      options(true),
    );
  }
  if (NO_CREDENTIALS.test(detail)) {
    return new GpuopsError(
      ErrorCode.NotConfigured,
      `${what}: gpuops has no usable GCP credentials (${detail}). Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (JSON) with the Compute Instance Admin (v1) role.`,
      options(false),
    );
  }
  return new GpuopsError(ErrorCode.ProviderUnavailable, `${what}: ${detail}`, options(false));
}

/** One entry of a Compute operation's `error.errors`. */
export interface OperationErrorEntry {
  code?: string | null;
  message?: string | null;
}

/**
 * A Compute operation that ended with errors (it is DONE, but what it did failed): the machine
 * could not be had in the zone, a quota, or a rejection.
 */
export function operationError(
  errors: readonly OperationErrorEntry[],
  what: string,
  place: GcpPlace,
): GpuopsError {
  const first = errors[0] ?? {};
  const code = first.code ?? 'UNKNOWN';
  const detail = errors.map((e) => e.message ?? e.code).join('; ');
  const details = { details: { gcpCode: code } };
  if (code.startsWith('ZONE_RESOURCE_POOL_EXHAUSTED')) {
    return new GpuopsError(
      ErrorCode.CapacityUnavailable,
      `${what}: GCP has no ${place.machineType ?? 'machine'} capacity in ${place.zone} right now (${code}). Try again later, or set GPUOPS_GCP_ZONE to another zone or GPUOPS_GCP_MACHINE_TYPE to another type.`,
      { retryable: true, ...details },
    );
  }
  if (code.includes('QUOTA')) {
    return new GpuopsError(
      ErrorCode.QuotaExceeded,
      `${what}: ${detail} Raise the quota in the Google Cloud console (IAM & Admin → Quotas) or choose a smaller GPUOPS_GCP_MACHINE_TYPE.`,
      details,
    );
  }
  return new GpuopsError(ErrorCode.ProviderRejected, `${what}: GCP says ${code}: ${detail}`, details);
}
