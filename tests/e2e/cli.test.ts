import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSimState } from '../../src/cloud/sim/admin-client.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { jsonLines, runBin } from '../support/cli.ts';
import { FAST_ENV } from '../support/gpuops-harness.ts';
import { freshPostgresDatabase, GPUOPS_DEV_BIN, uniquePrefix } from '../support/index.ts';
import { startOpenAiStandIn } from '../support/openai-stand-in.ts';

const gpuops = (args: string[], env: Record<string, string>) => runBin(GPUOPS_DEV_BIN, args, env);

describe('the gpuops command line', () => {
  let sim: Simulator;
  let dataDir: string;
  let pg: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-cli-'));
    sim = await startSimulator({ timeScale: 0.01, offers: 800 });
    pg = await freshPostgresDatabase();
    env = {
      ...FAST_ENV,
      GPUOPS_DATA_DIR: dataDir,
      DATABASE_URL: pg.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      GPUOPS_QUEUE_PREFIX: uniquePrefix(),
      VAST_BASE_URL: sim.url,
    };
  });
  afterAll(async () => {
    await sim?.close();
    await pg?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ask --json deploys and prints replies, the tool call, progress and the final result as JSON lines', async () => {
    const result = await gpuops(['ask', 'deploy a 3090 under 40 cents', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('tool_call');
    expect(events[0]).toMatchObject({
      tool: 'deploy',
      args: { gpu: 'rtx-3090', max_price_per_gpu_hour: 0.4 },
    });
    expect(types).toContain('reply');
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatchObject({ state: 'succeeded' });
    const final = events.find((e) => e.type === 'result')!;
    expect(final).toMatchObject({ kind: 'deploy', state: 'succeeded', result: { gpu: 'RTX 3090' } });
    expect((final.result as { ssh: string }).ssh).toMatch(/^ssh -p \d+ root@127\.0\.0\.1$/);
    expect(events.at(-1)).toEqual({ type: 'done', ok: true });
  });

  it('ask does not destroy without --yes, and does with it', async () => {
    const refused = await gpuops(['ask', 'destroy i-1', '--json'], env);
    const refusedEvents = jsonLines(refused.stdout);
    expect(refusedEvents.find((e) => e.type === 'confirm')).toMatchObject({ answer: false });
    expect(refusedEvents.some((e) => e.type === 'progress')).toBe(false);
    expect((await getSimState(sim)).instances.filter((i) => !i.destroyed)).toHaveLength(1);

    const confirmed = await gpuops(['ask', 'destroy i-1', '--json', '--yes'], env);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(jsonLines(confirmed.stdout).find((e) => e.type === 'result')).toMatchObject({
      kind: 'destroy',
      state: 'succeeded',
    });
    expect((await getSimState(sim)).instances.filter((i) => !i.destroyed)).toHaveLength(0);
  });

  it('ask without --json prints a readable transcript and exits 1 on an error', async () => {
    const result = await gpuops(['ask', 'pause i-424242'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('There is no instance i-424242');
  });

  it('plan --json prints the tool calls and runs nothing', async () => {
    const before = (await getSimState(sim)).instances.length;
    const result = await gpuops(['plan', 'rent 2x A100 80GB, 200 GB disk', '--json'], {});
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      { tool: 'deploy', args: { gpu: 'a100-80gb', count: 2, disk_gb: 200 } },
    ]);
    expect((await getSimState(sim)).instances.length).toBe(before);
  });

  it('runs on nothing but Node with no configuration: embedded simulator, PGlite and the Postgres queue', async () => {
    const ownDir = await mkdtemp(path.join(tmpdir(), 'gpuops-offline-'));
    try {
      const offline = {
        ...FAST_ENV,
        GPUOPS_DATA_DIR: ownDir,
        GPUOPS_QUEUE_BACKEND: 'postgres',
        GPUOPS_SIM_TIME_SCALE: '0.01',
      };
      const deployed = await gpuops(['ask', 'deploy a 4090', '--json'], offline);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect(jsonLines(deployed.stdout).find((e) => e.type === 'result')).toMatchObject({
        state: 'succeeded',
      });
      // A second start finds the same embedded database and simulated market.
      const listed = await gpuops(['ask', 'list my instances', '--json'], offline);
      const reply = jsonLines(listed.stdout).find((e) => e.type === 'reply')!;
      expect(reply.text).toContain('i-1');
      expect(reply.text).toContain('running');
    } finally {
      await rm(ownDir, { recursive: true, force: true });
    }
  });

  it('ask exits 0 when what was asked ran, even if the model fails afterwards, and 1 when a destroy it picked is not confirmed', async () => {
    let turn = 0;
    let victim = '';
    const llm = await startOpenAiStandIn((request) => {
      if (request.messages.at(-1)!.role === 'user') turn = 0;
      turn++;
      const asked = String(request.messages.findLast((m) => m.role === 'user')!.content);
      if (asked.startsWith('deploy')) {
        return turn === 1
          ? { toolCalls: [{ name: 'deploy', arguments: { gpu: 'RTX 3090' } }] }
          : { httpError: 500 };
      }
      // "list my instances": a model steered into destroying something nobody named.
      return turn === 1
        ? { toolCalls: [{ name: 'destroy', arguments: { instance: victim } }] }
        : { content: 'Done.' };
    });
    try {
      const withModel = {
        ...env,
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'local-model',
        GPUOPS_LLM_RETRIES: '0',
      };
      const deployed = await gpuops(['ask', 'deploy a 3090', '--json'], withModel);
      expect(deployed.code, deployed.stderr).toBe(0);
      const events = jsonLines(deployed.stdout);
      victim = String(events.find((e) => e.type === 'result')?.instance);
      expect(events.find((e) => e.type === 'result')).toMatchObject({
        state: 'succeeded',
        instance: expect.stringMatching(/^i-\d+$/),
      });
      expect(events.at(-1)).toMatchObject({
        type: 'done',
        ok: true,
        warnings: [expect.stringContaining('did not answer')],
      });

      const steered = await gpuops(['ask', 'list my instances', '--json', '--yes'], withModel);
      expect(steered.code).toBe(1);
      const said = jsonLines(steered.stdout);
      expect(said.find((e) => e.type === 'confirm')).toMatchObject({
        answer: false,
        hint: expect.stringContaining('--yes does not cover it'),
      });
      expect(said.at(-1)).toMatchObject({ type: 'done', ok: false, not_done: ['destroy was not confirmed'] });
    } finally {
      await llm.close();
    }
  }, 120_000);

  it('stops with a message naming a bad setting', async () => {
    const result = await gpuops(['ask', 'help'], { GPUOPS_WORKER_CONCURRENCY: 'lots' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('GPUOPS_WORKER_CONCURRENCY');
  });
});
