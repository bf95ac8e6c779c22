import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentTurns } from '../../db/repositories/conversations.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startRuntime } from '../../src/runtime.ts';
import { jsonLines, runBin } from '../support/cli.ts';
import { FAST_ENV } from '../support/gpuops-harness.ts';
import { GPUOPS_DEV_BIN } from '../support/index.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { RecordingSurface } from '../support/recording-surface.ts';

/** A key shaped like OpenAI's project keys, random so that any piece of it is recognisable. */
const LEAKY_KEY = `sk-proj-${randomBytes(42).toString('base64url')}`;

/**
 * The pieces of the key (6 characters or more of its random part) found in the text: empty when
 * nothing recognisable of it is there.
 */
function piecesOfKey(text: string): string[] {
  const random = LEAKY_KEY.slice('sk-proj-'.length);
  const found = new Set<string>();
  for (let i = 0; i + 6 <= random.length; i++) {
    const piece = random.slice(i, i + 6);
    if (text.includes(piece)) found.add(piece);
  }
  return [...found];
}

describe("a model server whose 401 quotes gpuops's API key", () => {
  let llm: OpenAiStandIn;
  let sim: Simulator;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // It accepts another key only, and quotes back whatever it was sent.
    llm = await startOpenAiStandIn(() => ({ content: 'never reached' }), {
      apiKey: `sk-proj-${randomBytes(42).toString('base64url')}`,
    });
    sim = await startSimulator({ timeScale: 0.01, offers: 200 });
    dir = await mkdtemp(path.join(tmpdir(), 'gpuops-secrets-'));
    env = {
      ...FAST_ENV,
      VAST_BASE_URL: sim.url,
      VAST_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_API_KEY: LEAKY_KEY,
      GPUOPS_LLM_MODEL: 'local-model',
      GPUOPS_LLM_RETRIES: '0',
      LOG_LEVEL: 'debug',
    };
  });
  afterAll(async () => {
    await llm?.close();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the key out of the chat, the logs and the stored conversation, and says plainly what to fix', async () => {
    const dataDir = path.join(dir, 'in-process');
    const logFile = path.join(dir, 'in-process.log');
    const config = loadConfig({ ...env, GPUOPS_DATA_DIR: dataDir, GPUOPS_LOG_FILE: logFile });
    // The offline default: the embedded database, BullMQ on it, the model over HTTP.
    const runtime = await startRuntime(config, {
      role: 'all',
      logger: createLogger({ logLevel: 'debug', logFile }),
    });
    const surface = new RecordingSurface();
    const conversation = `thread-${randomBytes(4).toString('hex')}`;
    let turns: Awaited<ReturnType<typeof recentTurns>>;
    try {
      // A person who pastes the key into chat: what they typed is stored too, and must not keep it.
      await runtime.chat!.handle(
        `list my instances (our key is ${LEAKY_KEY})`,
        { user: 'alice', channel: 'team-ml', replyTo: { surface: 'test', channel: 'team-ml' }, conversation },
        surface,
      );
      turns = await recentTurns(runtime.database.db, conversation, 10);
    } finally {
      await runtime.close();
    }

    // The server did refuse the key, quoting it: there was something to leak.
    expect(llm.refusedKeys).toContain(LEAKY_KEY);

    const [error] = surface.errors();
    expect(error?.code).toBe('llm_auth');
    expect(error?.text).toContain(
      "The model server refused gpuops's API key (HTTP 401, code invalid_api_key)",
    );
    expect(error?.text).toContain('check OPENAI_API_KEY');
    expect(piecesOfKey(JSON.stringify(surface.events))).toEqual([]);

    expect(turns).toHaveLength(1);
    expect(turns[0]!.assistant).toContain('refused gpuops');
    expect(turns[0]!.user).toBe('list my instances (our key is [redacted])');
    expect(piecesOfKey(JSON.stringify(turns))).toEqual([]);

    const log = await readFile(logFile, 'utf8');
    // The failure was logged, with the client's error (status, body, stack) as its cause.
    expect(log).toContain('request failed');
    expect(log).toContain('invalid_api_key');
    expect(piecesOfKey(log)).toEqual([]);
    // Every line is still JSON after redaction.
    for (const line of log.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  }, 120_000);

  it('keeps the key out of what `gpuops ask --json` prints and logs', async () => {
    const logFile = path.join(dir, 'ask.log');
    const result = await runBin(GPUOPS_DEV_BIN, ['ask', 'list my instances', '--json'], {
      ...env,
      GPUOPS_DATA_DIR: path.join(dir, 'ask'),
      GPUOPS_LOG_FILE: logFile,
    });

    expect(result.code).toBe(1);
    const lines = jsonLines(result.stdout);
    const error = lines.find((l) => l.type === 'error');
    expect(error).toMatchObject({ code: 'llm_auth' });
    expect(JSON.stringify(error)).toContain("refused gpuops's API key (HTTP 401, code invalid_api_key)");
    expect(lines.at(-1)).toMatchObject({ type: 'done', ok: false });
    expect(piecesOfKey(result.stdout)).toEqual([]);
    expect(piecesOfKey(result.stderr)).toEqual([]);
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('request failed');
    expect(piecesOfKey(log)).toEqual([]);
  }, 120_000);

  it('keeps the key out of what `gpuops doctor --json` prints, and names the fix', async () => {
    const result = await runBin(GPUOPS_DEV_BIN, ['doctor', '--json'], {
      ...env,
      GPUOPS_DATA_DIR: path.join(dir, 'doctor'),
    });

    expect(result.code).toBe(1);
    const [report] = jsonLines(result.stdout) as Array<{
      checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
    }>;
    const model = report!.checks.find((c) => c.name === 'model');
    expect(model).toMatchObject({ status: 'fail' });
    expect(model!.detail).toContain("refused gpuops's API key (HTTP 401, code invalid_api_key)");
    expect(model!.fix).toContain('OPENAI_API_KEY');
    expect(piecesOfKey(result.stdout)).toEqual([]);
    expect(piecesOfKey(result.stderr)).toEqual([]);
  }, 120_000);
});
