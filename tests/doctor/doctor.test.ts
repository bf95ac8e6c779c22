import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../../src/cloud/storage/local-s3.ts';
import { type DoctorResult, healthy, renderDoctor, runDoctor } from '../../src/doctor/doctor.ts';
import { GPUOPS_DEV_BIN } from '../support/cli.ts';
import { startComputeStandIn } from '../support/gcp/compute-stand-in.ts';
import { type FreshPostgresDatabase, freshPostgresDatabase, TEST_REDIS_URL } from '../support/index.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { startDiscordRest } from '../support/platforms/discord-rest.ts';
import { startSlackSocketMode } from '../support/platforms/slack-socket-mode.ts';
import { startSlackWebApi } from '../support/platforms/slack-web-api.ts';
import { freePort } from '../support/redis-server.ts';

function byName(results: DoctorResult[]): Record<string, DoctorResult> {
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

describe('gpuops doctor', () => {
  let sim: Simulator;
  let broke: Simulator;
  let pg: FreshPostgresDatabase;
  let toolCaller: OpenAiStandIn;
  let talker: OpenAiStandIn;
  let dataDir: string;

  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0, offers: 50, apiKey: 'good-key' });
    broke = await startSimulator({ timeScale: 0, offers: 50, apiKey: 'good-key', credit: 0 });
    pg = await freshPostgresDatabase();
    toolCaller = await startOpenAiStandIn(() => ({
      toolCalls: [{ name: 'report_status', arguments: { ok: true } }],
    }));
    // What a vLLM without a tool parser does: the call comes back as text.
    talker = await startOpenAiStandIn(() => ({
      content: '<tool_call>{"name": "report_status", "arguments": {"ok": true}}</tool_call>',
    }));
    dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-doctor-'));
  });
  afterAll(async () => {
    await Promise.all([sim?.close(), broke?.close(), toolCaller?.close(), talker?.close()]);
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const good = () => ({
    GPUOPS_DATA_DIR: dataDir,
    DATABASE_URL: pg.url,
    REDIS_URL: TEST_REDIS_URL,
    VAST_BASE_URL: sim.url,
    VAST_API_KEY: 'good-key',
    OPENAI_BASE_URL: toolCaller.baseUrl,
    OPENAI_API_KEY: 'sk-local',
    GPUOPS_LLM_MODEL: 'local-model',
    PORT: '0',
  });

  it('passes a working configuration, saying what each system is', async () => {
    const results = await runDoctor(good());
    const checks = byName(results);
    expect(healthy(results)).toBe(true);
    expect(results.map((r) => r.name)).toEqual([
      'configuration',
      'database',
      'queue',
      'marketplace',
      'model',
      'snapshot storage',
      'gcp',
      'slack',
      'discord',
      'ssh key',
      'http port',
    ]);
    expect(checks.database).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^PostgreSQL \d+/) });
    expect(checks.database!.detail).toContain('migrations to apply (gpuops applies them when it starts)');
    expect(checks.queue).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('Redis at 127.0.0.1:6379'),
    });
    expect(checks.marketplace).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('credit $100.00'),
    });
    expect(checks.model).toMatchObject({
      status: 'ok',
      detail: `local-model at ${toolCaller.baseUrl} answers and calls tools`,
    });
    // It probed tool calling with a real tool definition.
    expect(toolCaller.requests.at(-1)!.tools?.[0]?.function.name).toBe('report_status');
    expect(renderDoctor(results)).toMatch(/Everything configured works\.$/);
  });

  it('says what is wrong with each broken system, and how to fix it', async () => {
    const keyPath = path.join(dataDir, 'bad-key', 'id_ed25519');
    await mkdir(path.dirname(keyPath), { recursive: true });
    await writeFile(keyPath, 'not a key');
    const results = await runDoctor({
      ...good(),
      DATABASE_URL: `${pg.url}_missing`,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      VAST_API_KEY: 'wrong-key',
      OPENAI_BASE_URL: talker.baseUrl,
      GPUOPS_SSH_KEY_PATH: keyPath,
    });
    const checks = byName(results);
    expect(healthy(results)).toBe(false);
    expect(checks.database).toMatchObject({ status: 'fail', fix: expect.stringContaining('DATABASE_URL') });
    expect(checks.queue).toMatchObject({ status: 'fail', fix: expect.stringContaining('REDIS_URL') });
    expect(checks.marketplace).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('VAST_API_KEY is wrong'),
    });
    expect(checks.model).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('did not call the tool'),
      fix: expect.stringContaining('--enable-auto-tool-choice'),
    });
    expect(checks['ssh key']).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('GPUOPS_SSH_KEY_PATH'),
    });
    expect(renderDoctor(results)).toMatch(/5 problems to fix/);
  });

  it('checks the Slack token, its scopes and Socket Mode, and the Discord token and intent, against the stand-ins', async () => {
    const socket = await startSlackSocketMode();
    const slack = await startSlackWebApi({ socketModeUrl: () => socket.url() });
    const narrow = await startSlackWebApi({ scopes: ['chat:write', 'commands'] });
    const discord = await startDiscordRest();
    const noContent = await startDiscordRest({ messageContentAllowed: false });
    try {
      const chat = {
        SLACK_BOT_TOKEN: slack.options.botToken,
        SLACK_APP_TOKEN: slack.options.appToken,
        SLACK_API_URL: slack.url,
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.url,
        DISCORD_APPLICATION_ID: discord.applicationId,
      };
      const fine = byName(await runDoctor({ ...good(), ...chat }));
      expect(fine.slack).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('Socket Mode; scopes complete'),
      });
      expect(fine.discord).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('Message Content intent on'),
      });

      const broken = byName(
        await runDoctor({
          ...good(),
          ...chat,
          SLACK_BOT_TOKEN: 'xoxb-revoked',
          DISCORD_TOKEN: 'not-the-token',
        }),
      );
      expect(broken.slack).toMatchObject({ status: 'fail', detail: expect.stringContaining('invalid_auth') });
      expect(broken.discord).toMatchObject({ status: 'fail', fix: expect.stringContaining('Reset Token') });

      const lacking = byName(
        await runDoctor({
          ...good(),
          SLACK_BOT_TOKEN: narrow.options.botToken,
          SLACK_SIGNING_SECRET: 'secret',
          SLACK_API_URL: narrow.url,
          DISCORD_TOKEN: noContent.token,
          DISCORD_API_URL: noContent.url,
        }),
      );
      expect(lacking.slack).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('lacks app_mentions:read'),
        fix: expect.stringContaining('slack-app-manifest.yml'),
      });
      expect(lacking.discord).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('Message Content Intent'),
      });
      const neither = byName(await runDoctor({ ...good(), SLACK_BOT_TOKEN: slack.options.botToken }));
      expect(neither.slack).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('SLACK_APP_TOKEN'),
      });
    } finally {
      await Promise.all([
        slack.close(),
        narrow.close(),
        discord.close(),
        noContent.close(),
        socket.close(200),
      ]);
    }
  });

  it('checks snapshot storage by writing and deleting an object, against a local S3-compatible server', async () => {
    const s3Dir = await mkdtemp(path.join(tmpdir(), 'gpuops-doctor-s3-'));
    const s3 = await startLocalS3(s3Dir, 'team-snapshots');
    try {
      const storage = {
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        GPUOPS_SNAPSHOT_BUCKET: 'team-snapshots',
        AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      };
      const fine = byName(await runDoctor({ ...good(), ...storage }));
      expect(fine['snapshot storage']).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('takes and deletes'),
      });
      const denied = byName(await runDoctor({ ...good(), ...storage, AWS_ACCESS_KEY_ID: 'UNKNOWN' }));
      expect(denied['snapshot storage']).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('AWS_ACCESS_KEY_ID'),
      });
    } finally {
      await s3.close();
      await rm(s3Dir, { recursive: true, force: true });
    }
  });

  it('checks GCP credentials and project against the Compute stand-in, saying which setting is wrong', async () => {
    expect(byName(await runDoctor(good())).gcp).toMatchObject({
      status: 'skip',
      detail: expect.stringContaining('GPUOPS_GCP_PROJECT'),
    });
    const gcp = await startComputeStandIn();
    const strict = await startComputeStandIn({ accessToken: 'not-the-test-token' });
    const keys = await mkdtemp(path.join(tmpdir(), 'gpuops-doctor-gcp-'));
    try {
      const configured = { GPUOPS_GCP_PROJECT: gcp.project, GPUOPS_GCP_API_ENDPOINT: gcp.url };
      expect(byName(await runDoctor({ ...good(), ...configured })).gcp).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining(`project ${gcp.project}, zone us-central1-a reachable`),
      });
      const project = byName(await runDoctor({ ...good(), ...configured, GPUOPS_GCP_PROJECT: 'not-ours' }));
      expect(project.gcp).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('GPUOPS_GCP_PROJECT'),
      });
      const zone = byName(await runDoctor({ ...good(), ...configured, GPUOPS_GCP_ZONE: 'mars-north1-a' }));
      expect(zone.gcp).toMatchObject({ status: 'fail', detail: expect.stringContaining('GPUOPS_GCP_ZONE') });
      const refused = byName(
        await runDoctor({
          ...good(),
          GPUOPS_GCP_PROJECT: strict.project,
          GPUOPS_GCP_API_ENDPOINT: strict.url,
        }),
      );
      expect(refused.gcp).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('Compute Instance Admin'),
      });
      // Real credentials that cannot load fail before any request leaves the machine.
      const missing = byName(
        await runDoctor({
          ...good(),
          GPUOPS_GCP_PROJECT: 'team-project',
          GOOGLE_APPLICATION_CREDENTIALS: path.join(keys, 'missing.json'),
        }),
      );
      expect(missing.gcp).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('do not load'),
        fix: expect.stringContaining('GOOGLE_APPLICATION_CREDENTIALS'),
      });
      await writeFile(path.join(keys, 'broken.json'), '{"type": "service_account", "client_email": ');
      const broken = byName(
        await runDoctor({
          ...good(),
          GPUOPS_GCP_PROJECT: 'team-project',
          GOOGLE_APPLICATION_CREDENTIALS: path.join(keys, 'broken.json'),
        }),
      );
      expect(broken.gcp).toMatchObject({ status: 'fail', detail: expect.stringContaining('do not load') });
    } finally {
      await Promise.all([gcp.close(), strict.close()]);
      await rm(keys, { recursive: true, force: true });
    }
  });

  it('fails an account with no credit left', async () => {
    const checks = byName(await runDoctor({ ...good(), VAST_BASE_URL: broke.url }));
    expect(checks.marketplace).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no credit left'),
    });
  });

  it('names the bad variable of a configuration that does not load', async () => {
    const results = await runDoctor({ ...good(), PORT: 'eighty' });
    expect(results).toEqual([
      expect.objectContaining({
        name: 'configuration',
        status: 'fail',
        detail: expect.stringContaining('PORT'),
      }),
    ]);
  });

  it('exits 0 only when everything configured works, from the command line', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [GPUOPS_DEV_BIN, 'doctor', '--json'], {
          env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.on('close', (code) => resolve({ code, out }));
      });
    const fine = await run(good());
    expect(fine.code).toBe(0);
    expect(JSON.parse(fine.out)).toMatchObject({ ok: true });
    const broken = await run({ ...good(), VAST_API_KEY: 'wrong-key' });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out)).toMatchObject({ ok: false });
  }, 60_000);
});
