import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPUOPS_DEV_BIN } from '../support/cli.ts';
import { FAST_ENV } from '../support/gpuops-harness.ts';
import { SIGNING_SECRET, type SlackStandIns, startSlackStandIns } from '../support/platforms/slack-gpuops.ts';
import { signSlackRequest } from '../support/platforms/slack-signing.ts';
import { type FreshPostgresDatabase, freshPostgresDatabase } from '../support/postgres.ts';
import { uniquePrefix } from '../support/queue.ts';

/** A port nobody listens on now, for the child to take. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('gpuops serve starting up', () => {
  let slack: SlackStandIns;
  let pg: FreshPostgresDatabase;
  let dataDir: string;
  let child: ChildProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    slack = await startSlackStandIns();
    pg = await freshPostgresDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-startup-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await slack?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('never answers /slack/events with 404 once its port accepts connections, even while Slack is slow to answer its start', async () => {
    // The bot's start waits on Slack (auth.test): a server that listened before mounting
    // /slack/events would answer 404 for all of this second and a half.
    slack.api.slowDown('auth.test', 1_500);
    const port = await freePort();
    child = spawn(process.execPath, [GPUOPS_DEV_BIN, 'serve', '--role', 'bot'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...FAST_ENV,
        LOG_LEVEL: 'warn',
        GPUOPS_LOG_FILE: '-',
        PORT: String(port),
        GPUOPS_HTTP_HOST: '127.0.0.1',
        GPUOPS_DATA_DIR: dataDir,
        DATABASE_URL: pg.url,
        GPUOPS_QUEUE_BACKEND: 'postgres',
        GPUOPS_QUEUE_PREFIX: uniquePrefix(),
        GPUOPS_OFFLINE: 'true',
        SLACK_BOT_TOKEN: slack.api.options.botToken,
        SLACK_API_URL: slack.api.url,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));

    const body = JSON.stringify({ type: 'url_verification', challenge: 'still-there', token: 'x' });
    const statuses: number[] = [];
    let healthy = 0;
    const deadline = Date.now() + 120_000;
    // From the first connection the port accepts until well after /healthz says it is up.
    while (healthy < 20) {
      if (Date.now() > deadline) throw new Error(`gpuops serve did not come up:\n${output.join('')}`);
      if (child.exitCode !== null) throw new Error(`gpuops serve exited:\n${output.join('')}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signSlackRequest(SIGNING_SECRET, body) },
          body,
        });
        statuses.push(res.status);
        const text = await res.text();
        if (res.status === 200) expect(JSON.parse(text)).toEqual({ challenge: 'still-there' });
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        await health.text();
        if (health.status === 200) healthy++;
      } catch {
        // Not listening yet: connection refused is how a start looks from outside, never a 404.
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(slack.api.callsTo('auth.test').length).toBeGreaterThan(0);
  });
});
