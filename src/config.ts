import path from 'node:path';
import { z } from 'zod';
import { ErrorCode, GpuopsError } from './errors.ts';
import { passwordInUrl, redact, rememberSecrets } from './redact.ts';

/**
 * The one place that reads the environment. Every setting has a default that runs locally with
 * nothing but Node; a bad value stops start-up with a message naming the variable.
 */

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const optionalUrl = optionalString.pipe(z.url().optional());

const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const num = (def: number, min: number, max: number) => z.coerce.number().min(min).max(max).default(def);

const envSchema = z.object({
  GPUOPS_DATA_DIR: z.string().default('.gpuops'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where logs go. Default: a file in the data folder, so the terminal chat stays readable. */
  GPUOPS_LOG_FILE: optionalString,

  DATABASE_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  /** auto: Redis when REDIS_URL is set, else BullMQ's PostgreSQL backend on gpuops's own database. */
  GPUOPS_QUEUE_BACKEND: z.enum(['auto', 'redis', 'postgres']).default('auto'),
  /** Unset: "gpuops-" and this deployment's id, so two deployments on one Redis never share a queue. */
  GPUOPS_QUEUE_PREFIX: optionalString.pipe(
    z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, "-" and "_" only')
      .optional(),
  ),
  GPUOPS_ROLE: z.enum(['bot', 'worker', 'all']).default('all'),
  GPUOPS_WORKER_CONCURRENCY: int(4, 1, 256),
  /** How long a job's lock lasts; a killed worker's job is picked up again after about this long. */
  GPUOPS_JOB_LOCK_MS: int(30_000, 1_000, 600_000),
  GPUOPS_JOB_ATTEMPTS: int(3, 1, 20),
  /** How often a job may be taken over from a dead worker before its operation is ended as abandoned. */
  GPUOPS_JOB_MAX_STALLS: int(5, 0, 100),
  /** How often the reconciler compares records with the provider; 0 turns it off. */
  GPUOPS_RECONCILE_INTERVAL_MS: int(60_000, 0, 24 * 3_600_000),
  /** How long a rental of gpuops's that no record claims may live before the reconciler destroys it. */
  GPUOPS_ORPHAN_GRACE_MS: int(10 * 60_000, 0, 7 * 24 * 3_600_000),
  /**
   * A failover's replacement may cost up to this many times the lost machine's price per GPU,
   * unless its deploy set a ceiling or the failover names one.
   */
  GPUOPS_FAILOVER_MAX_PRICE_RATIO: num(1.5, 1, 10),
  /** How often the health monitor checks every running instance (provider status and SSH); 0 turns it off. */
  GPUOPS_HEALTH_INTERVAL_MS: int(60_000, 0, 24 * 3_600_000),
  /** Consecutive failed SSH heartbeats after which a machine the provider calls running is judged lost. */
  GPUOPS_HEALTH_SSH_FAILURES: int(3, 1, 100),
  /** How long one SSH heartbeat may take. */
  GPUOPS_HEALTH_SSH_TIMEOUT_MS: int(10_000, 500, 120_000),
  /** Minimum gap between two edits of one chat message. */
  GPUOPS_PROGRESS_INTERVAL_MS: int(1_000, 0, 60_000),

  /** How often the idle check samples the GPUs of instances with an auto-pause policy; 0 turns it off. */
  GPUOPS_IDLE_CHECK_INTERVAL_MS: int(60_000, 0, 3_600_000),
  /** Between the warning that an idle instance will be paused and the pause. */
  GPUOPS_IDLE_GRACE_MS: int(5 * 60_000, 0, 24 * 3_600_000),
  /** An instance is idle while every GPU is under this utilisation (%), unless its policy says otherwise. */
  GPUOPS_IDLE_MIN_UTILIZATION: int(5, 1, 100),
  /** How long "keep i-3 running" holds off auto-pause when no time is said. */
  GPUOPS_IDLE_SNOOZE_MS: int(2 * 3_600_000, 1_000, 30 * 24 * 3_600_000),
  /** The idle check's deadline for one instance's nvidia-smi over SSH. */
  GPUOPS_IDLE_SSH_TIMEOUT_MS: int(15_000, 500, 120_000),

  /** The HTTP server of `gpuops serve`: /healthz, /readyz, /metrics and the queue dashboard. */
  PORT: int(3000, 0, 65_535),
  /** Where that server listens; 0.0.0.0 in a container. */
  GPUOPS_HTTP_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** The queue dashboard (bull-board) at /admin/queues is on only when a password is set. */
  GPUOPS_DASHBOARD_USER: z.string().trim().min(1).default('admin'),
  GPUOPS_DASHBOARD_PASSWORD: optionalString,

  /** Slack: the bot token turns the Slack front-end on; Socket Mode when the app token is set too. */
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  /** The Web API base (a proxy, a local stand-in); Slack's own when unset. */
  SLACK_API_URL: optionalUrl,
  /** Discord: the bot token turns the Discord front-end on. */
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  /** The REST base, e.g. http://127.0.0.1:P/api; the gateway address comes from its /gateway/bot. */
  DISCORD_API_URL: optionalUrl,
  /** Comma-separated Slack team ids and Discord guild ids allowed to use the bot; empty: any. */
  GPUOPS_CHAT_ALLOWED_WORKSPACES: optionalString,
  /** How long Confirm and Cancel buttons stay good. */
  GPUOPS_CONFIRM_TTL_MS: int(10 * 60_000, 1_000, 7 * 24 * 3_600_000),
  /** Longest request text accepted from chat, in characters. */
  GPUOPS_CHAT_MAX_REQUEST_CHARS: int(4_000, 100, 40_000),

  /** Snapshot storage: any S3-compatible service; unset endpoint and keys: a local server over the data folder. */
  GPUOPS_SNAPSHOT_BUCKET: z.string().trim().min(3).max(63).default('gpuops-snapshots'),
  AWS_ENDPOINT_URL_S3: optionalUrl,
  AWS_REGION: z.string().trim().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  /** Path-style URLs (endpoint/bucket/key), as MinIO and most S3-compatible servers want. */
  GPUOPS_S3_FORCE_PATH_STYLE: z.enum(['true', 'false', '']).optional(),
  /** The folder snapshots take and restore on an instance; vast.ai images work in /workspace. */
  GPUOPS_WORKSPACE_DIR: optionalString,
  /** Complete snapshots kept per instance (older ones are deleted after each new one); 0 keeps all. */
  GPUOPS_SNAPSHOT_KEEP: int(0, 0, 10_000),
  /** How often snapshot schedules are looked at and deleted snapshots' storage is freed; 0 turns it off. */
  GPUOPS_SNAPSHOT_TICK_MS: int(60_000, 0, 3_600_000),

  /** Jobs: a job's limits when its request names none (hours of run time; USD); 0: no such limit. */
  GPUOPS_JOB_MAX_HOURS: num(24, 0, 30 * 24),
  GPUOPS_JOB_MAX_COST: num(100, 0, 1_000_000),
  /** How often a running job's machine is asked for new output (and its limits checked). */
  GPUOPS_JOB_POLL_MS: int(1_000, 100, 60_000),
  /** How often a running job's output folder is synced to storage, for retries to resume from. */
  GPUOPS_JOB_OUTPUT_SYNC_MS: int(60_000, 1_000, 24 * 3_600_000),
  /** How long a running job's machine may not answer over SSH before it counts as lost. */
  GPUOPS_JOB_UNREACHABLE_MS: int(120_000, 1_000, 24 * 3_600_000),

  /** CPU standby on Google Compute Engine: on when the project is set. */
  GPUOPS_GCP_PROJECT: optionalString,
  GPUOPS_GCP_ZONE: z
    .string()
    .trim()
    .regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, 'a zone like us-central1-a')
    .default('us-central1-a'),
  GPUOPS_GCP_MACHINE_TYPE: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{1,62}$/, 'a machine type like e2-standard-4')
    .default('e2-standard-4'),
  /** Spot VMs cost about a third, but GCP may stop them at any time (a sync starts them again). */
  GPUOPS_GCP_SPOT: boolFlag,
  GPUOPS_GCP_IMAGE: z.string().trim().min(1).default('projects/debian-cloud/global/images/family/debian-12'),
  GPUOPS_GCP_DISK_GB: int(50, 10, 65_536),
  /** The Compute API base; unset: Google's. Set (a local stand-in): requests carry a fixed test token. */
  GPUOPS_GCP_API_ENDPOINT: optionalUrl,
  /** A service-account key file; unset: Application Default Credentials. */
  GOOGLE_APPLICATION_CREDENTIALS: optionalString,
  GPUOPS_GCP_SSH_PORT: int(22, 1, 65_535),
  GPUOPS_GCP_TIMEOUT_MS: int(30_000, 500, 300_000),
  /** How long a VM create, start, stop or delete may take at GCP. */
  GPUOPS_GCP_OPERATION_TIMEOUT_MS: int(5 * 60_000, 1_000, 3_600_000),
  /** Where the workspace copy lives on the VM; relative: under the SSH user's home. */
  GPUOPS_GCP_WORKSPACE_DIR: z.string().trim().min(1).default('workspace'),
  /** How often standbys are brought up to their instance's latest snapshot; 0 turns it off. */
  GPUOPS_STANDBY_SYNC_INTERVAL_MS: int(10 * 60_000, 0, 24 * 3_600_000),

  VAST_API_KEY: optionalString,
  /** vast.ai's API. Unset: gpuops starts the simulated marketplace in-process and talks to it. */
  VAST_BASE_URL: optionalUrl,
  GPUOPS_PROVIDER_TIMEOUT_MS: int(15_000, 100, 300_000),
  GPUOPS_PROVIDER_RETRIES: int(4, 0, 10),

  GPUOPS_SIM_HOST: z.string().default('127.0.0.1'),
  GPUOPS_SIM_PORT: int(0, 0, 65_535),
  GPUOPS_SIM_SEED: int(42, 0, 2 ** 31 - 1),
  GPUOPS_SIM_OFFERS: int(2_400, 10, 100_000),
  /** Multiplies every simulated delay: 1 is vast.ai-like (tens of seconds), 0.01 is test speed. */
  GPUOPS_SIM_TIME_SCALE: num(0.1, 0, 100),

  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  GPUOPS_LLM_MODEL: z.string().default('gpt-4o-mini'),
  GPUOPS_LLM_TIMEOUT_MS: int(60_000, 1_000, 600_000),
  /** Retries of a failed model call (rate limits, 5xx, connection errors), with backoff. */
  GPUOPS_LLM_RETRIES: int(2, 0, 10),
  /** Force the offline planner even when an LLM is configured. */
  GPUOPS_OFFLINE: boolFlag,

  /** Refuse to rent above this price per hour for the whole deployment, whatever was asked. */
  GPUOPS_MAX_PRICE_PER_HOUR: num(50, 0.01, 10_000),
  GPUOPS_DEFAULT_IMAGE: z.string().default('pytorch/pytorch:latest'),
  GPUOPS_DEFAULT_DISK_GB: int(40, 1, 100_000),
  /** How long a deploy waits for the instance to reach running before giving up (and destroying it). */
  GPUOPS_DEPLOY_TIMEOUT_MS: int(15 * 60_000, 1_000, 24 * 3_600_000),
  /** How often a job asks the provider how its instance is doing. */
  GPUOPS_POLL_INTERVAL_MS: int(2_000, 10, 60_000),
  /** gpuops's SSH key pair; created on first start when missing. */
  GPUOPS_SSH_KEY_PATH: optionalString,
});

export interface Config {
  dataDir: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logFile: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  queueBackend: 'auto' | 'redis' | 'postgres';
  /** Unset: derived from the deployment's id at start-up (runtime.ts). */
  queuePrefix: string | undefined;
  role: 'bot' | 'worker' | 'all';
  workerConcurrency: number;
  jobLockMs: number;
  jobAttempts: number;
  jobMaxStalls: number;
  reconcileIntervalMs: number;
  orphanGraceMs: number;
  failoverMaxPriceRatio: number;
  health: { intervalMs: number; sshFailures: number; sshTimeoutMs: number };
  progressIntervalMs: number;
  /** Auto-pause of idle instances (src/jobs/upkeep/idle-check.ts). */
  idle: {
    /** 0: no idle check runs. */
    checkIntervalMs: number;
    graceMs: number;
    /** The threshold (%) of policies that name none. */
    minUtilization: number;
    snoozeMs: number;
    sshTimeoutMs: number;
  };
  http: { port: number; host: string; dashboard: { user: string; password: string } | undefined };
  slack:
    | {
        botToken: string;
        signingSecret: string | undefined;
        appToken: string | undefined;
        apiUrl: string | undefined;
      }
    | undefined;
  discord: { token: string; applicationId: string | undefined; apiUrl: string | undefined } | undefined;
  chat: { allowedWorkspaces: readonly string[]; confirmTtlMs: number; maxRequestChars: number };
  storage: {
    bucket: string;
    /** Unset: the local S3-compatible server over the data folder. */
    endpoint: string | undefined;
    region: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
    forcePathStyle: boolean;
  };
  /** Unset: `/workspace`, or the folder SSH sessions start in on the simulated marketplace. */
  workspaceDir: string | undefined;
  /** Snapshots kept per instance unless the instance says otherwise; 0 keeps all. */
  snapshotKeep: number;
  /** The snapshot maintenance tick (schedules, storage clean-up); 0: off. */
  snapshotTickMs: number;
  jobs: {
    /** Defaults for a job whose request names no limit; 0: none. */
    maxHours: number;
    maxCost: number;
    pollMs: number;
    outputSyncMs: number;
    unreachableMs: number;
  };
  vast: { apiKey: string | undefined; baseUrl: string | undefined; timeoutMs: number; retries: number };
  /** Google Compute Engine for CPU standby; undefined when GPUOPS_GCP_PROJECT is unset. */
  gcp: GcpConfig | undefined;
  /** How often standbys are synced with their instance's latest snapshot; 0: never on a schedule. */
  standbySyncIntervalMs: number;
  sim: { host: string; port: number; seed: number; offers: number; timeScale: number };
  llm: {
    apiKey: string | undefined;
    baseUrl: string | undefined;
    model: string;
    timeoutMs: number;
    retries: number;
    offline: boolean;
  };
  maxPricePerHour: number;
  defaultImage: string;
  defaultDiskGb: number;
  deployTimeoutMs: number;
  pollIntervalMs: number;
  sshKeyPath: string;
}

export interface GcpConfig {
  project: string;
  zone: string;
  machineType: string;
  spot: boolean;
  /** Boot image, e.g. projects/debian-cloud/global/images/family/debian-12. */
  image: string;
  diskGb: number;
  /** Set: a local stand-in of the Compute API, reached with a fixed test token. */
  apiEndpoint: string | undefined;
  /** Service-account key file; unset: Application Default Credentials. */
  credentialsFile: string | undefined;
  sshPort: number;
  timeoutMs: number;
  operationTimeoutMs: number;
  workspaceDir: string;
}

/**
 * Variables that hold secrets, and URLs whose password is one: their values are handed to
 * src/redact.ts, so no error, log line or reply carries them, nor does a configuration error.
 */
const SECRET_VARIABLES = [
  'OPENAI_API_KEY',
  'VAST_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'DISCORD_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'GPUOPS_DASHBOARD_PASSWORD',
] as const satisfies ReadonlyArray<keyof z.infer<typeof envSchema>>;
const URL_VARIABLES_WITH_PASSWORDS = ['DATABASE_URL', 'REDIS_URL'] as const satisfies ReadonlyArray<
  keyof z.infer<typeof envSchema>
>;
const SECRETS: ReadonlySet<string> = new Set(SECRET_VARIABLES);
const URLS: ReadonlySet<string> = new Set(URL_VARIABLES_WITH_PASSWORDS);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '?');
      const raw = env[variable] ?? '';
      // A secret is not repeated back, even a malformed one: the message is printed and logged.
      // A URL is, without its password.
      const shown = SECRETS.has(variable)
        ? `(${raw.length} characters)`
        : JSON.stringify(URLS.has(variable) ? redact(raw) : raw);
      return `${variable}=${shown}: ${issue.message}`;
    });
    throw new GpuopsError(ErrorCode.ConfigInvalid, `Invalid configuration.\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  rememberSecrets(
    ...SECRET_VARIABLES.map((name) => e[name]),
    ...URL_VARIABLES_WITH_PASSWORDS.map((name) => passwordInUrl(e[name])),
  );
  const dataDir = path.resolve(e.GPUOPS_DATA_DIR);
  if (e.GPUOPS_QUEUE_BACKEND === 'redis' && !e.REDIS_URL) {
    // Forcing Redis without a URL means the local default; say so rather than guess silently.
    e.REDIS_URL = 'redis://127.0.0.1:6379';
  }
  return {
    dataDir,
    logLevel: e.LOG_LEVEL,
    logFile: e.GPUOPS_LOG_FILE ?? path.join(dataDir, 'gpuops.log'),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queueBackend: e.GPUOPS_QUEUE_BACKEND,
    queuePrefix: e.GPUOPS_QUEUE_PREFIX,
    role: e.GPUOPS_ROLE,
    workerConcurrency: e.GPUOPS_WORKER_CONCURRENCY,
    jobLockMs: e.GPUOPS_JOB_LOCK_MS,
    jobAttempts: e.GPUOPS_JOB_ATTEMPTS,
    jobMaxStalls: e.GPUOPS_JOB_MAX_STALLS,
    reconcileIntervalMs: e.GPUOPS_RECONCILE_INTERVAL_MS,
    orphanGraceMs: e.GPUOPS_ORPHAN_GRACE_MS,
    failoverMaxPriceRatio: e.GPUOPS_FAILOVER_MAX_PRICE_RATIO,
    health: {
      intervalMs: e.GPUOPS_HEALTH_INTERVAL_MS,
      sshFailures: e.GPUOPS_HEALTH_SSH_FAILURES,
      sshTimeoutMs: e.GPUOPS_HEALTH_SSH_TIMEOUT_MS,
    },
    progressIntervalMs: e.GPUOPS_PROGRESS_INTERVAL_MS,
    idle: {
      checkIntervalMs: e.GPUOPS_IDLE_CHECK_INTERVAL_MS,
      graceMs: e.GPUOPS_IDLE_GRACE_MS,
      minUtilization: e.GPUOPS_IDLE_MIN_UTILIZATION,
      snoozeMs: e.GPUOPS_IDLE_SNOOZE_MS,
      sshTimeoutMs: e.GPUOPS_IDLE_SSH_TIMEOUT_MS,
    },
    http: {
      port: e.PORT,
      host: e.GPUOPS_HTTP_HOST,
      dashboard:
        e.GPUOPS_DASHBOARD_PASSWORD === undefined
          ? undefined
          : { user: e.GPUOPS_DASHBOARD_USER, password: e.GPUOPS_DASHBOARD_PASSWORD },
    },
    slack:
      e.SLACK_BOT_TOKEN === undefined
        ? undefined
        : {
            botToken: e.SLACK_BOT_TOKEN,
            signingSecret: e.SLACK_SIGNING_SECRET,
            appToken: e.SLACK_APP_TOKEN,
            apiUrl: e.SLACK_API_URL,
          },
    discord:
      e.DISCORD_TOKEN === undefined
        ? undefined
        : { token: e.DISCORD_TOKEN, applicationId: e.DISCORD_APPLICATION_ID, apiUrl: e.DISCORD_API_URL },
    chat: {
      allowedWorkspaces: (e.GPUOPS_CHAT_ALLOWED_WORKSPACES ?? '')
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== ''),
      confirmTtlMs: e.GPUOPS_CONFIRM_TTL_MS,
      maxRequestChars: e.GPUOPS_CHAT_MAX_REQUEST_CHARS,
    },
    storage: {
      bucket: e.GPUOPS_SNAPSHOT_BUCKET,
      endpoint: e.AWS_ENDPOINT_URL_S3,
      region: e.AWS_REGION,
      accessKeyId: e.AWS_ACCESS_KEY_ID,
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
      // AWS itself serves virtual-hosted URLs; S3-compatible servers mostly want path-style.
      forcePathStyle:
        e.GPUOPS_S3_FORCE_PATH_STYLE === 'true' ||
        (e.GPUOPS_S3_FORCE_PATH_STYLE !== 'false' && e.AWS_ENDPOINT_URL_S3 !== undefined),
    },
    workspaceDir: e.GPUOPS_WORKSPACE_DIR,
    snapshotKeep: e.GPUOPS_SNAPSHOT_KEEP,
    snapshotTickMs: e.GPUOPS_SNAPSHOT_TICK_MS,
    jobs: {
      maxHours: e.GPUOPS_JOB_MAX_HOURS,
      maxCost: e.GPUOPS_JOB_MAX_COST,
      pollMs: e.GPUOPS_JOB_POLL_MS,
      outputSyncMs: e.GPUOPS_JOB_OUTPUT_SYNC_MS,
      unreachableMs: e.GPUOPS_JOB_UNREACHABLE_MS,
    },
    gcp:
      e.GPUOPS_GCP_PROJECT === undefined
        ? undefined
        : {
            project: e.GPUOPS_GCP_PROJECT,
            zone: e.GPUOPS_GCP_ZONE,
            machineType: e.GPUOPS_GCP_MACHINE_TYPE,
            spot: e.GPUOPS_GCP_SPOT,
            image: e.GPUOPS_GCP_IMAGE,
            diskGb: e.GPUOPS_GCP_DISK_GB,
            apiEndpoint: e.GPUOPS_GCP_API_ENDPOINT,
            credentialsFile: e.GOOGLE_APPLICATION_CREDENTIALS,
            sshPort: e.GPUOPS_GCP_SSH_PORT,
            timeoutMs: e.GPUOPS_GCP_TIMEOUT_MS,
            operationTimeoutMs: e.GPUOPS_GCP_OPERATION_TIMEOUT_MS,
            workspaceDir: e.GPUOPS_GCP_WORKSPACE_DIR,
          },
    standbySyncIntervalMs: e.GPUOPS_STANDBY_SYNC_INTERVAL_MS,
    vast: {
      apiKey: e.VAST_API_KEY,
      baseUrl: e.VAST_BASE_URL,
      timeoutMs: e.GPUOPS_PROVIDER_TIMEOUT_MS,
      retries: e.GPUOPS_PROVIDER_RETRIES,
    },
    sim: {
      host: e.GPUOPS_SIM_HOST,
      port: e.GPUOPS_SIM_PORT,
      seed: e.GPUOPS_SIM_SEED,
      offers: e.GPUOPS_SIM_OFFERS,
      timeScale: e.GPUOPS_SIM_TIME_SCALE,
    },
    llm: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.GPUOPS_LLM_MODEL,
      timeoutMs: e.GPUOPS_LLM_TIMEOUT_MS,
      retries: e.GPUOPS_LLM_RETRIES,
      offline: e.GPUOPS_OFFLINE,
    },
    maxPricePerHour: e.GPUOPS_MAX_PRICE_PER_HOUR,
    defaultImage: e.GPUOPS_DEFAULT_IMAGE,
    defaultDiskGb: e.GPUOPS_DEFAULT_DISK_GB,
    deployTimeoutMs: e.GPUOPS_DEPLOY_TIMEOUT_MS,
    pollIntervalMs: e.GPUOPS_POLL_INTERVAL_MS,
    sshKeyPath: e.GPUOPS_SSH_KEY_PATH ?? path.join(dataDir, 'ssh', 'id_ed25519'),
  };
}

/** True when an LLM endpoint is configured and not overridden by GPUOPS_OFFLINE. */
export function llmConfigured(config: Config): boolean {
  return !config.llm.offline && (config.llm.apiKey !== undefined || config.llm.baseUrl !== undefined);
}
