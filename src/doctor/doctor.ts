import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { migrations } from '../../db/migrations/index.ts';
import { SLACK_BOT_SCOPES } from '../bots/slack/slack-scopes.ts';
import { type Config, llmConfigured, loadConfig } from '../config.ts';
import { isGpuopsError } from '../errors.ts';
import { redact } from '../redact.ts';

/**
 * `gpuops doctor`: checks the configuration and every outside system it names, and says for each
 * what is wrong and how to fix it. Nothing is created or changed: no migration runs, no key is
 * registered, no queue or database is made.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it, when something is wrong. */
  fix?: string;
}

/** How long one outside system may take to answer. */
const TIMEOUT_MS = 5_000;

export async function runDoctor(env: NodeJS.ProcessEnv): Promise<DoctorResult[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return [
      {
        name: 'configuration',
        status: 'fail',
        detail: err instanceof Error ? err.message : String(err),
        fix: 'Correct or unset the variables named above (README, "Configuration").',
      },
    ];
  }
  const results: DoctorResult[] = [{ name: 'configuration', status: 'ok', detail: describe(config) }];
  const checks: Array<[string, (c: Config) => Promise<Omit<DoctorResult, 'name'>>]> = [
    ['database', checkDatabase],
    ['queue', checkQueue],
    ['marketplace', checkMarketplace],
    ['model', checkModel],
    ['snapshot storage', checkStorage],
    ['gcp', checkGcp],
    ['slack', checkSlack],
    ['discord', checkDiscord],
    ['ssh key', checkSshKey],
    ['http port', checkHttpPort],
  ];
  for (const [name, check] of checks) {
    try {
      results.push({ name, ...(await withTimeout(check(config), `${name} did not answer`)) });
    } catch (err) {
      results.push({ name, status: 'fail', detail: messageOf(err) });
    }
  }
  // Details quote what outside systems said; whatever a check forgot to clean is cleaned here.
  // Fixes are gpuops's own text (with placeholders such as user:password@ that must stay).
  return results.map((r) => ({ ...r, detail: redact(r.detail) }));
}

/** True when nothing configured is broken (warnings and skipped checks allowed). */
export function healthy(results: readonly DoctorResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

export function renderDoctor(results: readonly DoctorResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.fix ? [`  ${' '.repeat(width)}  fix: ${r.fix}`] : []),
  ]);
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push(
    failed === 0
      ? 'Everything configured works.'
      : `${failed} problem${failed === 1 ? '' : 's'} to fix before gpuops can work as configured.`,
  );
  return lines.join('\n');
}

function describe(config: Config): string {
  return [
    config.databaseUrl ? 'Postgres' : 'embedded database',
    config.redisUrl ? 'Redis queue' : 'queue in the database',
    config.vast.baseUrl ? 'marketplace API' : 'simulated marketplace',
    llmConfigured(config) ? `model ${config.llm.model}` : 'offline planner',
  ].join(', ');
}

async function checkDatabase(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  if (!config.databaseUrl) {
    const dir = path.join(config.dataDir, 'pglite');
    // No lock file (or none readable) means no process holds the embedded database.
    const holder = await readFile(`${dir}.lock`, 'utf8').catch(() => undefined);
    const where = existsSync(path.join(dir, 'PG_VERSION'))
      ? `embedded PGlite in ${dir}`
      : `embedded PGlite, created in ${dir} at the first start`;
    return holder
      ? {
          status: 'ok',
          detail: `${where}; in use by process ${holder.trim()} (a running gpuops; it serves one process only)`,
        }
      : { status: 'ok', detail: where };
  }
  const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: TIMEOUT_MS });
  try {
    await client.connect();
  } catch (err) {
    return {
      status: 'fail',
      detail: `cannot connect to DATABASE_URL: ${messageOf(err)}`,
      fix: 'Start PostgreSQL, or correct DATABASE_URL (postgres://user:password@host:5432/database); the database must exist.',
    };
  }
  try {
    const version =
      (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?';
    const applied = await client
      .query<{ name: string }>('select name from kysely_migration')
      .then((r) => new Set(r.rows.map((row) => row.name)))
      .catch(() => new Set<string>());
    const pending = Object.keys(migrations).filter((name) => !applied.has(name)).length;
    return {
      status: 'ok',
      detail: `PostgreSQL ${version}; ${pending === 0 ? 'schema up to date' : `${pending} migration${pending === 1 ? '' : 's'} to apply (gpuops applies them when it starts)`}`,
    };
  } finally {
    // The check has its answer; a connection that fails to close cleanly changes nothing in it.
    await client.end().catch(() => {});
  }
}

async function checkQueue(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const redisWanted = config.queueBackend === 'redis' || (config.queueBackend === 'auto' && config.redisUrl);
  if (!redisWanted) {
    return { status: 'ok', detail: "BullMQ on PostgreSQL, in gpuops's own database (checked above)" };
  }
  const url = config.redisUrl ?? 'redis://127.0.0.1:6379';
  const [{ Redis }, { describeRedisUrl }] = await Promise.all([
    import('ioredis'),
    import('../jobs/queue/backend.ts'),
  ]);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    const where = `${describeRedisUrl(url)}, Redis ${version}`;
    if (policy && policy !== 'noeviction') {
      return {
        status: 'warn',
        detail: `${where}; maxmemory-policy is ${policy}, so Redis may evict queued jobs`,
        fix: 'Set maxmemory-policy noeviction (redis.conf or CONFIG SET), as BullMQ requires.',
      };
    }
    return { status: 'ok', detail: where };
  } catch (err) {
    return {
      status: 'fail',
      detail: `${describeRedisUrl(url)} does not answer: ${messageOf(err)}`,
      fix: 'Start Redis, or correct REDIS_URL; or unset REDIS_URL to keep the queue in PostgreSQL.',
    };
  } finally {
    redis.disconnect();
  }
}

async function checkMarketplace(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  if (!config.vast.baseUrl) {
    return {
      status: 'ok',
      detail:
        'the simulated marketplace, in-process (offline default; set VAST_BASE_URL and VAST_API_KEY for vast.ai)',
    };
  }
  if (!config.vast.apiKey) {
    return {
      status: 'fail',
      detail: `VAST_BASE_URL is ${config.vast.baseUrl} but VAST_API_KEY is not set`,
      fix: 'Set VAST_API_KEY to the key from your vast.ai account (Account → API keys).',
    };
  }
  const { VastProvider } = await import('../cloud/vast/vast-provider.ts');
  const provider = new VastProvider({
    baseUrl: config.vast.baseUrl,
    apiKey: config.vast.apiKey,
    timeoutMs: Math.min(config.vast.timeoutMs, TIMEOUT_MS),
    retries: 0,
  });
  try {
    const account = await provider.account();
    const who = `account ${account.owner ?? account.id} at ${config.vast.baseUrl}`;
    if (account.creditUsd !== null && account.creditUsd <= 0) {
      return {
        status: 'fail',
        detail: `${who}; no credit left ($${account.creditUsd.toFixed(2)}), so rentals will be refused`,
        fix: 'Add credit to the vast.ai account (Billing).',
      };
    }
    return {
      status: 'ok',
      detail: `${who}${account.creditUsd === null ? '' : `; credit $${account.creditUsd.toFixed(2)}`}`,
    };
  } catch (err) {
    const auth = isGpuopsError(err) && err.code === 'provider_auth';
    return {
      status: 'fail',
      detail: messageOf(err),
      fix: auth
        ? 'VAST_API_KEY is wrong or revoked: create a new key in your vast.ai account.'
        : 'Check VAST_BASE_URL (https://console.vast.ai for vast.ai) and the network.',
    };
  }
}

async function checkStorage(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const s = config.storage;
  if (!s.endpoint) {
    return {
      status: 'ok',
      detail: `a local S3-compatible server over ${config.dataDir}/s3, started on the first snapshot (set AWS_ENDPOINT_URL_S3 and keys for S3, B2, R2 or MinIO)`,
    };
  }
  const { ObjectStore } = await import('../cloud/storage/object-store.ts');
  const store = new ObjectStore({ ...s, endpoint: s.endpoint, timeoutMs: TIMEOUT_MS });
  try {
    const probe = `gpuops-doctor/${Date.now()}`;
    await store.put(probe, Buffer.from('ok'));
    await store.delete([probe]);
    return { status: 'ok', detail: `bucket ${s.bucket} at ${s.endpoint} takes and deletes objects` };
  } catch (err) {
    return {
      status: 'fail',
      detail: messageOf(err),
      fix: `Check AWS_ENDPOINT_URL_S3, AWS_REGION, GPUOPS_SNAPSHOT_BUCKET (it must exist) and that AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY may write to it${s.forcePathStyle ? '' : '; most S3-compatible services need GPUOPS_S3_FORCE_PATH_STYLE=true'}.`,
    };
  } finally {
    store.close();
  }
}

async function checkGcp(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const gcp = config.gcp;
  if (!gcp) {
    return {
      status: 'skip',
      detail:
        'not configured (set GPUOPS_GCP_PROJECT and GOOGLE_APPLICATION_CREDENTIALS for CPU standby VMs on GCP)',
    };
  }
  const { GcpCompute } = await import('../cloud/gcp/gcp-compute.ts');
  const keyFile = gcp.credentialsFile
    ? `GOOGLE_APPLICATION_CREDENTIALS (${gcp.credentialsFile})`
    : 'Application Default Credentials';
  let compute: Awaited<ReturnType<typeof GcpCompute.open>>;
  let who: string;
  try {
    compute = await GcpCompute.open({
      project: gcp.project,
      zone: gcp.zone,
      apiEndpoint: gcp.apiEndpoint,
      credentialsFile: gcp.credentialsFile,
      timeoutMs: Math.min(gcp.timeoutMs, TIMEOUT_MS),
      operationTimeoutMs: gcp.operationTimeoutMs,
      retries: 0,
    });
    who = await compute.verifyCredentials().catch(async (err: unknown) => {
      await compute.close();
      throw err;
    });
  } catch (err) {
    return {
      status: 'fail',
      detail: `GCP credentials do not load from ${keyFile}: ${messageOf(err)}`,
      fix: 'Set GOOGLE_APPLICATION_CREDENTIALS to the JSON key file of a service account with the Compute Instance Admin (v1) role (IAM & Admin → Service Accounts → Keys), or run "gcloud auth application-default login".',
    };
  }
  try {
    const vms = await compute.listVms({ 'managed-by': 'gpuops' }, 100);
    const where = `project ${gcp.project}, zone ${gcp.zone}`;
    return {
      status: 'ok',
      detail: `${where} reachable with ${who}; ${vms.length} standby VM${vms.length === 1 ? '' : 's'} of gpuops there; new ones are ${gcp.machineType}${gcp.spot ? ' (spot)' : ''}`,
    };
  } catch (err) {
    const code = isGpuopsError(err) ? err.code : undefined;
    return {
      status: 'fail',
      detail: messageOf(err),
      fix:
        code === 'provider_auth'
          ? `GCP refused ${keyFile}: use a key of a service account with the Compute Instance Admin (v1) role on project ${gcp.project}, and enable the Compute Engine API there.`
          : code === 'provider_rejected'
            ? 'Check GPUOPS_GCP_PROJECT (the project id, not its display name) and GPUOPS_GCP_ZONE (e.g. us-central1-a).'
            : 'Check the network, and GPUOPS_GCP_API_ENDPOINT if it is set.',
    };
  } finally {
    await compute.close();
  }
}

async function checkSlack(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const slack = config.slack;
  if (!slack) return { status: 'skip', detail: 'not configured (set SLACK_BOT_TOKEN to run the Slack bot)' };
  if (!slack.appToken && !slack.signingSecret) {
    return {
      status: 'fail',
      detail:
        'SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP) is',
      fix: 'For Socket Mode, create an app-level token with connections:write (Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN; for HTTP, set SLACK_SIGNING_SECRET (Basic Information → App Credentials).',
    };
  }
  const { WebClient } = await import('@slack/web-api');
  const clientOptions = {
    ...(slack.apiUrl && { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` }),
    timeout: TIMEOUT_MS,
    retryConfig: { retries: 0 },
  };
  let who: Awaited<ReturnType<InstanceType<typeof WebClient>['auth']['test']>>;
  try {
    who = await new WebClient(slack.botToken, clientOptions).auth.test();
  } catch (err) {
    return {
      status: 'fail',
      detail: `Slack refused SLACK_BOT_TOKEN: ${slackErrorOf(err)}`,
      fix: "Copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page; reinstall the app if it was revoked.",
    };
  }
  const granted = who.response_metadata?.scopes;
  const missing = granted ? SLACK_BOT_SCOPES.filter((s) => !granted.includes(s)) : [];
  const where = `workspace ${who.team ?? who.team_id} as ${who.user ?? who.user_id}`;
  if (missing.length > 0) {
    return {
      status: 'fail',
      detail: `${where}; the token lacks ${missing.join(', ')}`,
      fix: 'Add the missing bot scopes (slack-app-manifest.yml lists them) under OAuth & Permissions, then reinstall the app.',
    };
  }
  if (slack.appToken) {
    try {
      await new WebClient(slack.appToken, clientOptions).apps.connections.open();
    } catch (err) {
      return {
        status: 'fail',
        detail: `${where}; Socket Mode refused SLACK_APP_TOKEN: ${slackErrorOf(err)}`,
        fix: 'Turn on Socket Mode in the app settings and create an app-level token with connections:write; set it as SLACK_APP_TOKEN.',
      };
    }
  }
  return {
    status: 'ok',
    detail: `${where}; ${slack.appToken ? 'Socket Mode' : 'HTTP at /slack/events (requests must reach PORT)'}${granted ? '; scopes complete' : ''}`,
  };
}

function slackErrorOf(err: unknown): string {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error === undefined ? messageOf(err) : redact(data.error);
}

/** GATEWAY_MESSAGE_CONTENT and GATEWAY_MESSAGE_CONTENT_LIMITED: the privileged intent is on. */
const MESSAGE_CONTENT_FLAGS = (1 << 19) | (1 << 18);

async function checkDiscord(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const discord = config.discord;
  if (!discord)
    return { status: 'skip', detail: 'not configured (set DISCORD_TOKEN to run the Discord bot)' };
  const { REST, Routes } = await import('discord.js');
  const rest = new REST({
    ...(discord.apiUrl && { api: discord.apiUrl }),
    timeout: TIMEOUT_MS,
    retries: 0,
  }).setToken(discord.token);
  let app: { id: string; name?: string; flags?: number; bot?: { username?: string } };
  try {
    app = (await rest.get(Routes.currentApplication())) as typeof app;
  } catch (err) {
    const status = (err as { status?: number }).status;
    return {
      status: 'fail',
      detail: `Discord refused DISCORD_TOKEN: ${messageOf(err)}`,
      fix:
        status === 401
          ? 'Copy a fresh token from Bot → Reset Token in the Discord developer portal into DISCORD_TOKEN.'
          : 'Check DISCORD_API_URL and the network.',
    };
  }
  const name = app.bot?.username ?? app.name ?? app.id;
  if (((app.flags ?? 0) & MESSAGE_CONTENT_FLAGS) === 0) {
    return {
      status: 'fail',
      detail: `application ${name}; the Message Content intent is off, so Discord will refuse the connection (4014)`,
      fix: 'Turn on "Message Content Intent" under Bot in the Discord developer portal.',
    };
  }
  if (discord.applicationId && discord.applicationId !== app.id) {
    return {
      status: 'warn',
      detail: `application ${name} is ${app.id}, but DISCORD_APPLICATION_ID is ${discord.applicationId}`,
      fix: `Set DISCORD_APPLICATION_ID=${app.id}, or \`gpuops discord register\` registers /gpu on another application.`,
    };
  }
  return {
    status: 'ok',
    detail: `application ${name} (${app.id}); Message Content intent on${discord.applicationId ? '' : '; set DISCORD_APPLICATION_ID to register /gpu'}`,
  };
}

async function checkModel(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  if (!llmConfigured(config)) {
    return {
      status: 'skip',
      detail: config.llm.offline
        ? 'GPUOPS_OFFLINE is set: the offline planner answers'
        : 'no model configured: the offline planner answers (set OPENAI_BASE_URL / OPENAI_API_KEY for an LLM)',
    };
  }
  const { ChatOpenAI } = await import('@langchain/openai');
  const chat = new ChatOpenAI({
    model: config.llm.model,
    apiKey: config.llm.apiKey ?? 'not-needed',
    temperature: 0,
    timeout: TIMEOUT_MS,
    maxRetries: 0,
    ...(config.llm.baseUrl && { configuration: { baseURL: config.llm.baseUrl } }),
  });
  const probe = chat.bindTools([
    {
      type: 'function' as const,
      function: {
        name: 'report_status',
        description: 'Reports that the assistant is working. Always call it when asked to.',
        parameters: {
          type: 'object',
          properties: { ok: { type: 'boolean' } },
          required: ['ok'],
          additionalProperties: false,
        },
      },
    },
  ]);
  const where = `${config.llm.model} at ${config.llm.baseUrl ?? 'api.openai.com'}`;
  let reply: Awaited<ReturnType<typeof probe.invoke>>;
  try {
    reply = await probe.invoke('Call the report_status tool with ok=true. Do not answer in text.');
  } catch (err) {
    // The same plain reason the chat gets: the server's own text may quote the key.
    const { hostOf, modelFailure } = await import('../agent/llm-model.ts');
    const failure = modelFailure(err, {
      model: config.llm.model,
      where: hostOf(config.llm.baseUrl),
      timeoutMs: TIMEOUT_MS,
      retries: 0,
    });
    return {
      status: 'fail',
      detail: `${where}: ${failure.message}`,
      fix:
        failure.code === 'llm_auth'
          ? 'Set OPENAI_API_KEY to a key the server at OPENAI_BASE_URL accepts (for OpenAI: platform.openai.com → API keys); or set GPUOPS_OFFLINE=true.'
          : 'Check OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama), OPENAI_API_KEY and GPUOPS_LLM_MODEL; or set GPUOPS_OFFLINE=true.',
    };
  }
  if ((reply.tool_calls ?? []).some((c) => c.name === 'report_status')) {
    return { status: 'ok', detail: `${where} answers and calls tools` };
  }
  return {
    status: 'fail',
    detail: `${where} answers but did not call the tool it was asked to call`,
    fix: 'Serve the model with tool calling on: vLLM needs --enable-auto-tool-choice and --tool-call-parser (e.g. hermes, llama3_json); on Ollama use a model with tool support (llama3.1, qwen2.5); or set GPUOPS_OFFLINE=true.',
  };
}

async function checkSshKey(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const publicPath = `${config.sshKeyPath}.pub`;
  if (!existsSync(config.sshKeyPath)) {
    return { status: 'ok', detail: `${config.sshKeyPath} is made at the first start` };
  }
  const { default: ssh2 } = await import('ssh2');
  const parsed = ssh2.utils.parseKey(await readFile(config.sshKeyPath, 'utf8'));
  if (parsed instanceof Error || !existsSync(publicPath)) {
    return {
      status: 'fail',
      detail: `${config.sshKeyPath} ${parsed instanceof Error ? `is not a usable private key (${parsed.message})` : `has no ${path.basename(publicPath)} beside it`}`,
      fix: `Move ${config.sshKeyPath} (and its .pub) away so gpuops makes a new pair, or point GPUOPS_SSH_KEY_PATH at a good one.`,
    };
  }
  return { status: 'ok', detail: config.sshKeyPath };
}

async function checkHttpPort(config: Config): Promise<Omit<DoctorResult, 'name'>> {
  const { port, host } = config.http;
  const where = `${host}:${port}`;
  if (port === 0) return { status: 'ok', detail: 'PORT=0: any free port' };
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
  return free
    ? { status: 'ok', detail: `${where} is free for gpuops serve` }
    : {
        status: 'warn',
        detail: `${where} is in use (a gpuops serve already running there is fine)`,
        fix: 'Set PORT to another port for a second gpuops on this machine.',
      };
}

/** An outside error's message as the report may show it: without secrets, and short. */
function messageOf(err: unknown): string {
  const message = redact(err instanceof Error ? err.message : String(err));
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} within ${(TIMEOUT_MS * 2) / 1000} s`)),
        TIMEOUT_MS * 2,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
