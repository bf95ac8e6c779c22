/**
 * Failover time, split into what gpuops itself spends and what the provider makes it wait: for
 * each run, a 4090 is deployed, a workspace written and snapshotted, its host failed in the
 * simulator, and "failover i-N" asked in chat. From the operation's own figures:
 *
 * - recovery (RTO): from the failover's request to the instance running again, data verified;
 * - provider waits: the replacement booting and pulling its image (the simulator's delays);
 * - data: streaming and verifying the workspace onto the replacement;
 * - gpuops overhead: the rest (queueing, search, rent calls, records, SSH set-up, release).
 *
 *   npx tsx bench/failover-bench.ts [--n 5] [--mb 64] [--time-scale 0.05]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { getInstance } from '../db/repositories/instances.ts';
import { getOperation } from '../db/repositories/operations.ts';
import type { ChatSurface, MessageRef } from '../src/agent/chat-surface.ts';
import { failHost } from '../src/cloud/sim/admin-client.ts';
import { startSimulator } from '../src/cloud/sim/index.ts';
import { sshExec } from '../src/cloud/ssh/ssh-client.ts';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';
import { startRuntime } from '../src/runtime.ts';
import { freshPostgresDatabase } from '../tests/support/postgres.ts';
import { option, summarize } from './stats.ts';

const n = option('n', 5);
const mb = option('mb', 64);
const timeScale = option('time-scale', 0.05);

class BenchSurface implements ChatSurface {
  readonly name = 'bench';
  async post(): Promise<MessageRef> {
    return { id: 'm' };
  }
  async update(): Promise<void> {}
  async confirm(): Promise<boolean> {
    return true;
  }
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-failover-bench-'));
const sim = await startSimulator({ timeScale, offers: 2_400, dataDir: path.join(dataDir, 'sim') });
const pg = await freshPostgresDatabase();
const prefix = `bench-${Date.now().toString(36)}`;
const runtime = await startRuntime(
  loadConfig({
    GPUOPS_DATA_DIR: dataDir,
    VAST_BASE_URL: sim.url,
    VAST_API_KEY: 'bench',
    GPUOPS_QUEUE_BACKEND: 'redis',
    REDIS_URL: 'redis://127.0.0.1:6379',
    GPUOPS_QUEUE_PREFIX: prefix,
    DATABASE_URL: pg.url,
    GPUOPS_OFFLINE: 'true',
    GPUOPS_WORKSPACE_DIR: '.',
    GPUOPS_POLL_INTERVAL_MS: '100',
    GPUOPS_HEALTH_INTERVAL_MS: '0',
    LOG_LEVEL: 'silent',
  }),
  { role: 'all', logger: silentLogger },
);
const context = { user: 'bench', channel: 'bench', replyTo: { surface: 'bench', channel: 'bench' } };
const surface = new BenchSurface();

async function say(text: string) {
  const handled = await runtime.chat!.handle(text, context, surface);
  const finals = await Promise.all(handled.jobs);
  const failed = finals.find((f) => f.state !== 'succeeded');
  if (failed) throw new Error(`"${text}" ended ${failed.state}: ${failed.error?.message}`);
  return finals[0]!;
}

try {
  const recovery: number[] = [];
  const provider: number[] = [];
  const data: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < n; i++) {
    const deployed = await say('deploy a 4090');
    const id = Number(deployed.result!.instance.slice(2));
    const row = (await getInstance(runtime.database.db, id))!;
    const ssh = { host: row.ssh_host!, port: row.ssh_port!, privateKey: runtime.sshKey.privateKey };
    await sshExec(ssh, `mkdir -p ckpt && head -c ${mb * 1_000_000} /dev/urandom > ckpt/model.bin`, 120_000);
    await say(`snapshot i-${id}`);
    await failHost(sim, { instance_id: Number(row.provider_instance_id) });
    const final = await say(`failover i-${id}`);
    const op = (await getOperation(runtime.database.db, final.operationId))!;
    const timings = (op.result as { timings: Record<string, number> }).timings;
    recovery.push(timings.recoveryMs!);
    provider.push(timings.providerWaitMs!);
    data.push(timings.dataMs!);
    overhead.push(timings.recoveryMs! - timings.providerWaitMs! - timings.dataMs!);
    await say(`destroy i-${id}`);
  }
  const line = (name: string, samples: number[]) => {
    const s = summarize(samples);
    return `${name} median=${s.median.toFixed(0)}ms max=${Math.max(...samples).toFixed(0)}ms`;
  };
  console.log(
    `failover (${mb} MB workspace, dead host, simulator time scale ${timeScale}, n=${n}): ${line('recovery', recovery)} · ${line('provider waits', provider)} · ${line('data restore+verify', data)} · ${line('gpuops overhead', overhead)}`,
  );
} finally {
  await runtime.close();
  await sim.close();
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await pg.drop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(0);
