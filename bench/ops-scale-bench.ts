/**
 * A team's busiest hour: 1,000 operations asked for at once across 100 channels, typed into the
 * agent as people would (pause, resume, destroy and deploy), run through the real queue by the
 * workers of one gpuops, on Redis (with PostgreSQL) and on the embedded default (PGlite, with
 * BullMQ on it). Every progress message goes to a chat surface that keeps each workspace's edits
 * within Slack's budget, as the Slack surface does, and records every post and edit.
 *
 * Prints, per backend: time to drain (first request to the last final edit), the most edits to
 * one channel and to one workspace in any 60 s, the process's RSS (after setup, peak, after the
 * drain), operations lost (accepted but never ended), and progress messages whose last version
 * is not their operation's final state. Exits 1 when an operation is lost, a message does not end
 * in its final state, a request is refused (each one acts on an instance of its own, so none
 * should be) or a budget is exceeded. --edit-fail-rate makes a share of edits fail, as a chat
 * platform's 5xx would.
 *
 * The simulated marketplace runs in a child process (`gpuops sim`), so the RSS is gpuops's own.
 * The instances the pauses, resumes and destroys act on are rented at the simulator and recorded
 * before the hour starts, as a team's running and paused machines would be.
 *
 *   npx tsx bench/ops-scale-bench.ts [--backend both|redis|embedded] [--ops 1000] [--channels 100]
 *                                    [--workspaces 20] [--concurrency 64] [--time-scale 0.02]
 *                                    [--deadline-s 900]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { insertInstance } from '../db/repositories/instances.ts';
import type { ChatSurface, MessageRef, OutgoingMessage } from '../src/agent/chat-surface.ts';
import { EditBudget } from '../src/bots/edit-budget.ts';
import { GPU_CATALOG } from '../src/cloud/gpu-catalog.ts';
import type { Offer, ProviderInstance } from '../src/cloud/provider.ts';
import { loadConfig } from '../src/config.ts';
import type { RequestContext } from '../src/domain/request-context.ts';
import { deployLabel } from '../src/jobs/operations/rental-label.ts';
import { silentLogger } from '../src/log.ts';
import { type Runtime, startRuntime } from '../src/runtime.ts';
import { GPUOPS_DEV_BIN } from '../tests/support/cli.ts';
import { dropRedisPrefix, freshPostgresDatabase, uniquePrefix } from '../tests/support/index.ts';

const { values: argv } = parseArgs({
  options: {
    backend: { type: 'string' },
    ops: { type: 'string' },
    channels: { type: 'string' },
    workspaces: { type: 'string' },
    concurrency: { type: 'string' },
    'time-scale': { type: 'string' },
    'deadline-s': { type: 'string' },
    /** A share of chat edits that fail, as a platform's 5xx or timeout would (default 0). */
    'edit-fail-rate': { type: 'string' },
  },
});

function numberOption(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, not "${raw}".`);
  return value;
}

const OPS = Math.round(numberOption(argv.ops, 1_000, '--ops'));
const CHANNELS = Math.round(numberOption(argv.channels, 100, '--channels'));
const WORKSPACES = Math.round(numberOption(argv.workspaces, 20, '--workspaces'));
const CONCURRENCY = Math.round(numberOption(argv.concurrency, 64, '--concurrency'));
const TIME_SCALE = numberOption(argv['time-scale'], 0.02, '--time-scale');
const DEADLINE_MS = numberOption(argv['deadline-s'], 900, '--deadline-s') * 1000;
const EDIT_FAIL_RATE = argv['edit-fail-rate'] === undefined ? 0 : Number(argv['edit-fail-rate']);
const BACKENDS = (argv.backend ?? 'both') === 'both' ? ['redis', 'embedded'] : [argv.backend!];
for (const b of BACKENDS) {
  if (b !== 'redis' && b !== 'embedded') throw new Error(`--backend is both, redis or embedded, not "${b}".`);
}

// A full collection before measuring what stays: heap after the drain against heap before the hour.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** Slack's budget as gpuops keeps it: chat.update calls per workspace per minute (src/bots/slack). */
const SLACK_EDITS_PER_MINUTE = 36;
/** Requests being answered at once, as many people typing in many channels. */
const REQUESTS_AT_ONCE = 50;
/** The mix of the hour, in shares of the operations. */
const MIX = { pause: 0.45, resume: 0.3, destroy: 0.1, deploy: 0.15 };
/** What the deploys ask for: GPUs with many offers in the simulated market. */
const DEPLOY_GPUS = ['3090', '4090', 'A6000', 'A100', 'L4', '3080', 'A40', 'V100'];
const WINDOW_MS = 60_000;

// ---- the chat: every post and edit recorded, edits within each workspace's budget

interface MessageLog {
  channel: string;
  workspace: string;
  operationId: string;
  edits: number;
  /** The state its newest version shows. */
  lastState: string;
  lastAt: number;
}

class ChatLog {
  readonly messages = new Map<string, MessageLog>();
  readonly editsByChannel = new Map<string, number[]>();
  readonly editsByWorkspace = new Map<string, number[]>();
  readonly replies = { reply: 0, error: 0 };
  readonly errors: string[] = [];
  editsFailed = 0;
  private counter = 0;
  private draws = 0;
  readonly budget = new EditBudget({ limit: SLACK_EDITS_PER_MINUTE, intervalMs: WINDOW_MS });

  surface(channel: string, workspace: string): ChatSurface {
    const log = this;
    return {
      name: 'bench',
      async post(message: OutgoingMessage): Promise<MessageRef> {
        const id = `m${++log.counter}`;
        if (message.kind === 'progress' && message.progress) {
          log.messages.set(id, {
            channel,
            workspace,
            operationId: message.progress.operationId,
            edits: 0,
            lastState: message.progress.state,
            lastAt: Date.now(),
          });
        } else {
          log.replies[message.kind === 'error' ? 'error' : 'reply']++;
          if (message.kind === 'error' && log.errors.length < 20) log.errors.push(message.text.slice(0, 200));
        }
        return { id };
      },
      async update(ref: MessageRef, given: OutgoingMessage, newest?: () => OutgoingMessage): Promise<void> {
        await log.budget.spend(workspace, async () => {
          // As the Slack surface does: the edit sends the newest view when its turn comes.
          const message = newest?.() ?? given;
          // Every nth edit fails, spread evenly, so a run is repeatable.
          if (
            EDIT_FAIL_RATE > 0 &&
            Math.floor(++log.draws * EDIT_FAIL_RATE) > Math.floor((log.draws - 1) * EDIT_FAIL_RATE)
          ) {
            log.editsFailed++;
            throw new Error('chat.update failed: service_unavailable');
          }
          const at = Date.now();
          const entry = log.messages.get(ref.id);
          if (entry) {
            entry.edits++;
            entry.lastState = message.progress?.state ?? entry.lastState;
            entry.lastAt = at;
          }
          push(log.editsByChannel, channel, at);
          push(log.editsByWorkspace, workspace, at);
        });
      },
      async confirm() {
        return true;
      },
    };
  }
}

function push(map: Map<string, number[]>, key: string, at: number): void {
  const list = map.get(key);
  if (list) list.push(at);
  else map.set(key, [at]);
}

/** The most timestamps of any one key inside any window of `windowMs`. */
function maxInWindow(byKey: Map<string, number[]>, windowMs: number): number {
  let max = 0;
  for (const times of byKey.values()) {
    const sorted = [...times].sort((a, b) => a - b);
    let start = 0;
    for (let end = 0; end < sorted.length; end++) {
      while (sorted[end]! - sorted[start]! >= windowMs) start++;
      max = Math.max(max, end - start + 1);
    }
  }
  return max;
}

// ---- the pieces of one run

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startSimChild(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      GPUOPS_DEV_BIN,
      'sim',
      '--port',
      String(port),
      '--time-scale',
      String(TIME_SCALE),
      '--offers',
      '20000',
      '--data-dir',
      path.join(dataDir, 'sim'),
    ],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', GPUOPS_DATA_DIR: dataDir },
      stdio: 'ignore',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`gpuops sim exited with ${child.exitCode}`);
    const up = await fetch(`${url}/api/v0/users/current/`)
      .then(() => true)
      .catch(() => false);
    if (up) return { url, child };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('gpuops sim did not start within 30 s');
}

interface Target {
  id: number;
  channel: string;
  workspace: string;
}

/**
 * The team's machines before the hour: `running` rented and running, `stopped` rented and
 * paused, each recorded in a channel as a deploy would have left it.
 */
async function rentFixtures(
  runtime: Runtime,
  running: number,
  stopped: number,
): Promise<{ running: Target[]; stopped: Target[] }> {
  const { provider, database } = runtime;
  const need = running + stopped;
  const offers: Offer[] = [];
  const seen = new Set<number>();
  for (const model of GPU_CATALOG) {
    const found = await provider.searchOffers({
      gpuNames: [model.marketName],
      numGpus: 1,
      order: 'price',
      limit: 1000,
    });
    for (const offer of found) {
      // The cheapest offers are left to the hour's deploys.
      if (!seen.has(offer.machineId)) offers.push(offer);
      seen.add(offer.machineId);
    }
  }
  offers.sort((a, b) => b.pricePerHour - a.pricePerHour);
  if (offers.length < need)
    throw new Error(`the market has ${offers.length} single-GPU machines; ${need} are needed`);
  const chosen = offers.slice(0, need);
  const ids: string[] = new Array(need);
  for (let i = 0; i < need; i += 16) {
    await Promise.all(
      chosen.slice(i, i + 16).map(async (offer, j) => {
        ids[i + j] = await provider.createInstance({
          offerId: offer.id,
          image: 'pytorch/pytorch:latest',
          diskGb: 20,
          label: deployLabel(`op-fixture-${i + j}`),
        });
      }),
    );
  }
  const byId = await waitForAll(runtime, ids, 'running');
  const toStop = ids.slice(running);
  for (let i = 0; i < toStop.length; i += 16)
    await Promise.all(toStop.slice(i, i + 16).map((id) => provider.stopInstance(id)));
  const after = toStop.length > 0 ? await waitForAll(runtime, toStop, 'stopped') : new Map();
  const targets: { running: Target[]; stopped: Target[] } = { running: [], stopped: [] };
  for (const [i, providerId] of ids.entries()) {
    const machine = after.get(providerId) ?? byId.get(providerId)!;
    const offer = chosen[i]!;
    const channel = channelOf(i);
    const isRunning = i < running;
    const row = await insertInstance(database.db, {
      provider: 'vast',
      provider_instance_id: providerId,
      offer_id: offer.id,
      label: deployLabel(`op-fixture-${i}`),
      gpu_name: offer.gpuName,
      gpu_count: 1,
      price_per_hour: offer.pricePerHour,
      state: isRunning ? 'running' : 'stopped',
      provider_status: machine.status,
      image: 'pytorch/pytorch:latest',
      disk_gb: 20,
      location: offer.location,
      ssh_host: machine.sshHost,
      ssh_port: machine.sshPort,
      owner: 'alice',
      channel: channel.name,
      operation_id: `op-fixture-${i}`,
      ...(isRunning ? { running_since: new Date() } : { stopped_at: new Date() }),
    });
    (isRunning ? targets.running : targets.stopped).push({
      id: row.id,
      channel: channel.name,
      workspace: channel.workspace,
    });
  }
  return targets;
}

async function waitForAll(
  runtime: Runtime,
  ids: string[],
  status: 'running' | 'stopped',
): Promise<Map<string, ProviderInstance>> {
  const wanted = new Set(ids);
  for (let i = 0; i < 600; i++) {
    const machines = new Map((await runtime.provider.listInstances()).map((m) => [m.id, m]));
    if ([...wanted].every((id) => machines.get(id)?.status === status)) return machines;
    await sleep(200);
  }
  throw new Error(`the fixture machines did not all reach ${status} within 2 min`);
}

function channelOf(i: number): { name: string; workspace: string } {
  const c = i % CHANNELS;
  return { name: `ch-${c}`, workspace: `ws-${c % WORKSPACES}` };
}

function contextOf(channel: string, workspace: string, n: number): RequestContext {
  return {
    user: `alice-${n % 7}`,
    channel,
    replyTo: { surface: 'bench', channel, workspace },
  };
}

interface Figures {
  backend: string;
  setupS: number;
  requests: number;
  accepted: number;
  refused: number;
  enqueueS: number;
  maxInFlight: number;
  drainS: number;
  succeeded: number;
  failed: number;
  lost: number;
  notEndingFinal: number;
  endedUnfollowed: number;
  maxEditsPerChannelMin: number;
  maxEditsPerWorkspaceMin: number;
  editsTotal: number;
  editsFailed: number;
  rssAfterSetupMb: number;
  rssPeakMb: number;
  rssAfterDrainMb: number;
  heapPeakMb: number;
  heapAfterSetupMb: number;
  heapAfterDrainMb: number;
  failures: Record<string, number>;
  /** Up to two failure messages of each error code, to tell the market's answers from defects. */
  failureSamples: string[];
  lostSamples: string[];
  refusals: string[];
}

async function runOn(backend: 'redis' | 'embedded'): Promise<Figures> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-ops-scale-'));
  const sim = await startSimChild(dataDir);
  const pg = backend === 'redis' ? await freshPostgresDatabase() : undefined;
  const prefix = uniquePrefix();
  const env: Record<string, string> = {
    GPUOPS_DATA_DIR: dataDir,
    VAST_BASE_URL: sim.url,
    VAST_API_KEY: 'bench-key',
    GPUOPS_OFFLINE: 'true',
    GPUOPS_QUEUE_PREFIX: prefix,
    GPUOPS_WORKER_CONCURRENCY: String(CONCURRENCY),
    GPUOPS_POLL_INTERVAL_MS: '250',
    // The hour is about operations asked for; automatic pauses and failovers would add their own.
    GPUOPS_IDLE_CHECK_INTERVAL_MS: '0',
    GPUOPS_HEALTH_INTERVAL_MS: '0',
    GPUOPS_WORKSPACE_DIR: '.',
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...(pg && { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', GPUOPS_QUEUE_BACKEND: 'redis' }),
  };
  const runtime = await startRuntime(loadConfig(env), { role: 'all', logger: silentLogger });
  try {
    const setupStart = performance.now();
    const counts = {
      pause: Math.round(OPS * MIX.pause),
      resume: Math.round(OPS * MIX.resume),
      destroy: Math.round(OPS * MIX.destroy),
    };
    const deploys = OPS - counts.pause - counts.resume - counts.destroy;
    console.error(
      `  [${backend}] renting ${counts.pause + counts.destroy + counts.resume} machines for the hour's pauses, destroys and resumes`,
    );
    const fixtures = await rentFixtures(runtime, counts.pause + counts.destroy, counts.resume);
    const setupS = (performance.now() - setupStart) / 1000;

    const requests: Array<{ text: string; channel: string; workspace: string }> = [];
    for (const t of fixtures.running.slice(0, counts.pause)) requests.push({ text: `pause i-${t.id}`, ...t });
    for (const t of fixtures.running.slice(counts.pause)) requests.push({ text: `destroy i-${t.id}`, ...t });
    for (const t of fixtures.stopped) requests.push({ text: `resume i-${t.id}`, ...t });
    for (let i = 0; i < deploys; i++) {
      const channel = channelOf(i * 7);
      requests.push({
        text: `deploy a ${DEPLOY_GPUS[i % DEPLOY_GPUS.length]}`,
        channel: channel.name,
        workspace: channel.workspace,
      });
    }
    // Interleaved, as a busy hour's requests arrive.
    requests.sort((a, b) => hash(a.text) - hash(b.text));

    const chat = new ChatLog();
    collect();
    const heapAfterSetup = process.memoryUsage().heapUsed;
    const rssAfterSetup = process.memoryUsage().rss;
    let rssPeak = rssAfterSetup;
    let heapPeak = process.memoryUsage().heapUsed;
    let maxInFlight = 0;
    let lastInFlight = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);
    const inFlightSampler = setInterval(() => {
      void runtime.database.db
        .selectFrom('operations')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('state', 'in', ['queued', 'running'])
        .executeTakeFirst()
        .then((r) => {
          lastInFlight = Number(r?.n ?? 0);
          maxInFlight = Math.max(maxInFlight, lastInFlight);
        })
        .catch(() => undefined);
    }, 1_000);

    const started = performance.now();
    const startedAt = Date.now();
    const finals: Array<Promise<unknown>> = [];
    let ended = 0;
    // A line every half minute on stderr, so a long drain shows where it is.
    const ticker = setInterval(() => {
      console.error(
        `  [${backend} ${Math.round((Date.now() - startedAt) / 1000)} s] asked ${next}/${requests.length}, ended ${ended}/${accepted}, refused ${refused}, in flight ${maxInFlight > 0 ? lastInFlight : '?'}, edits ${chat.budget.sent}`,
      );
    }, 30_000);
    let accepted = 0;
    let refused = 0;
    const refusals = new Map<string, number>();
    let next = 0;
    const ask = async () => {
      while (next < requests.length) {
        const n = next++;
        const r = requests[n]!;
        const before = chat.replies.error;
        const handled = await runtime.chat!.handle(
          r.text,
          contextOf(r.channel, r.workspace, n),
          chat.surface(r.channel, r.workspace),
        );
        if (handled.jobs.length === 0) {
          refused++;
          const why = chat.replies.error > before ? (chat.errors.at(-1) ?? 'error') : 'no operation';
          refusals.set(why.slice(0, 80), (refusals.get(why.slice(0, 80)) ?? 0) + 1);
        }
        accepted += handled.jobs.length;
        finals.push(
          ...handled.jobs.map((job) =>
            job.finally(() => {
              ended++;
            }),
          ),
        );
      }
    };
    await Promise.all(Array.from({ length: REQUESTS_AT_ONCE }, ask));
    const enqueueS = (performance.now() - started) / 1000;

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), DEADLINE_MS);
    });
    await Promise.race([Promise.allSettled(finals), deadline]);
    clearTimeout(timer);
    // Each request's operations resolve once their final edit was sent (or failed): the drain ends there.
    const lastEdit = Math.max(...[...chat.messages.values()].map((m) => m.lastAt));
    const drainS = (lastEdit - startedAt) / 1000;
    clearInterval(sampler);
    clearInterval(inFlightSampler);
    clearInterval(ticker);

    const rows = await runtime.database.db
      .selectFrom('operations')
      .select(['id', 'kind', 'state', 'error', 'step', 'attempts', 'created_at', 'started_at'])
      .where('id', 'not like', 'op-fixture-%')
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const failures: Record<string, number> = {};
    const failureSamples: string[] = [];
    for (const r of rows) {
      if (r.state === 'failed') {
        const error = r.error as { code?: string; message?: string } | null;
        const code = error?.code ?? 'unknown';
        failures[code] = (failures[code] ?? 0) + 1;
        if (failures[code] <= 2)
          failureSamples.push(`${r.kind} ${code}: ${(error?.message ?? '').slice(0, 300)}`);
      }
    }
    const followed = new Set([...chat.messages.values()].map((m) => m.operationId));
    // Lost: asked for and accepted, but not ended, or never shown in chat.
    const lost =
      rows.filter((r) => r.state === 'queued' || r.state === 'running').length +
      Math.max(0, accepted - rows.length);
    // Recorded, then refused at enqueue: ended failed, and the requester was answered with the error.
    const endedUnfollowed = rows.filter(
      (r) => !followed.has(r.id) && r.state !== 'queued' && r.state !== 'running',
    ).length;
    const lostSamples = rows
      .filter((r) => r.state === 'queued' || r.state === 'running')
      .slice(0, 5)
      .map(
        (r) =>
          `${r.id} ${r.kind} ${r.state}${followed.has(r.id) ? '' : ' (no progress message)'} step "${r.step ?? ''}" attempts ${r.attempts} queued ${r.created_at.toISOString().slice(11, 19)} started ${r.started_at?.toISOString().slice(11, 19) ?? '-'}`,
      );
    const notEndingFinal = [...chat.messages.values()].filter((m) => {
      const row = byId.get(m.operationId);
      return !row || m.lastState !== row.state;
    }).length;
    const rssAfterDrain = process.memoryUsage().rss;
    // Past the last edit the watcher and followers hold nothing; what the heap keeps is what stays.
    collect();
    const heapAfterDrain = process.memoryUsage().heapUsed;
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    return {
      backend:
        backend === 'redis' ? 'Redis queue, PostgreSQL records' : 'embedded (PGlite, BullMQ on PGlite)',
      setupS,
      requests: requests.length,
      accepted,
      refused,
      enqueueS,
      maxInFlight,
      drainS,
      succeeded: rows.filter((r) => r.state === 'succeeded').length,
      failed: rows.filter((r) => r.state === 'failed').length,
      lost,
      notEndingFinal,
      endedUnfollowed,
      maxEditsPerChannelMin: maxInWindow(chat.editsByChannel, WINDOW_MS),
      maxEditsPerWorkspaceMin: maxInWindow(chat.editsByWorkspace, WINDOW_MS),
      editsTotal: chat.budget.sent,
      editsFailed: chat.editsFailed,
      rssAfterSetupMb: mb(rssAfterSetup),
      rssPeakMb: mb(rssPeak),
      rssAfterDrainMb: mb(rssAfterDrain),
      heapPeakMb: mb(heapPeak),
      heapAfterSetupMb: mb(heapAfterSetup),
      heapAfterDrainMb: mb(heapAfterDrain),
      failures,
      failureSamples,
      lostSamples,
      refusals: [...refusals].map(([why, n]) => `${n}× ${why}`),
    };
  } finally {
    await runtime.close();
    if (backend === 'redis') await dropRedisPrefix(prefix);
    // The simulator saves its state as it stops: the folder goes once it has exited.
    const exited = new Promise((resolve) => sim.child.once('exit', resolve));
    sim.child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 }).catch((err: unknown) =>
      console.error(`could not remove ${dataDir}: ${String(err)}`),
    );
  }
}

function hash(text: string): number {
  let h = 2_166_136_261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16_777_619);
  return h >>> 0;
}

let bad = false;
for (const backend of BACKENDS as Array<'redis' | 'embedded'>) {
  const f = await runOn(backend);
  const over = f.maxEditsPerWorkspaceMin > SLACK_EDITS_PER_MINUTE;
  if (f.lost > 0 || f.notEndingFinal > 0 || over || f.refused > 0) bad = true;
  console.log(
    [
      `${f.backend}: ${f.requests} requests in ${CHANNELS} channels of ${WORKSPACES} workspaces (${f.accepted} operations, ${f.refused} refused), ${CONCURRENCY} jobs at once per worker, sim time scale ${TIME_SCALE}`,
      `  setup ${f.setupS.toFixed(1)} s; all asked for in ${f.enqueueS.toFixed(1)} s; most queued or running at once ${f.maxInFlight}`,
      `  time to drain ${f.drainS.toFixed(1)} s; ${f.succeeded} succeeded, ${f.failed} failed${
        f.failed > 0
          ? ` (${Object.entries(f.failures)
              .map(([c, n]) => `${c} ${n}`)
              .join(', ')})`
          : ''
      }`,
      `  operations lost ${f.lost} (goal 0); messages not ending in their final state ${f.notEndingFinal} (goal 0)${f.endedUnfollowed > 0 ? `; ${f.endedUnfollowed} recorded but refused by the queue (ended failed, answered with the error)` : ''}`,
      `  edits ${f.editsTotal}${f.editsFailed > 0 ? ` (${f.editsFailed} failed on purpose)` : ''}; most in any 60 s: ${f.maxEditsPerChannelMin} to one channel, ${f.maxEditsPerWorkspaceMin} to one workspace (Slack budget ${SLACK_EDITS_PER_MINUTE})`,
      `  RSS ${f.rssAfterSetupMb} MB after setup, peak ${f.rssPeakMb} MB, ${f.rssAfterDrainMb} MB after the drain; heap ${f.heapAfterSetupMb} MB after setup, peak ${f.heapPeakMb} MB, ${f.heapAfterDrainMb} MB after the drain (after a full GC)`,
      ...(f.refusals.length > 0 ? [`  refusals: ${f.refusals.join('; ')}`] : []),
      ...f.failureSamples.map((m) => `  failed: ${m}`),
      ...f.lostSamples.map((m) => `  lost: ${m}`),
    ].join('\n'),
  );
}
process.exit(bad ? 1 : 0);
