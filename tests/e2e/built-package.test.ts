import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_ENV } from '../support/gpuops-harness.ts';
import { ensureBuilt, GPUOPS_BIN } from '../support/index.ts';

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a bin with only the environment given (no NODE_OPTIONS, so no TypeScript loader). */
async function node(bin: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The compiled package, as `npm start`, `npx gpuops` and the container run it: bin/gpuops.js
 * over dist/, built first when dist/ is missing or older than the sources.
 */
describe('the built gpuops', () => {
  let dataDir: string;

  beforeAll(async () => {
    ensureBuilt();
    dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-built-'));
  }, 300_000);
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts and lists every command of the command-line contract', async () => {
    const result = await node(GPUOPS_BIN, ['--help']);
    expect(result.code, result.stderr).toBe(0);
    for (const command of ['chat', 'ask', 'plan', 'advise', 'sim', 'serve', 'worker']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
  });

  it('plans a deploy offline and prints the tool call as one JSON line', async () => {
    const result = await node(GPUOPS_BIN, ['plan', 'deploy a 4090', '--json'], { GPUOPS_OFFLINE: 'true' });
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual([{ tool: 'deploy', args: { gpu: 'rtx-4090', count: 1 } }]);
  });

  it('opens its embedded database, compiled migrations included, and answers a request', async () => {
    const result = await node(GPUOPS_BIN, ['ask', 'list my instances', '--json'], {
      ...FAST_ENV,
      GPUOPS_DATA_DIR: dataDir,
      GPUOPS_SIM_TIME_SCALE: '0.01',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout).at(-1)).toEqual({ type: 'done', ok: true });
  });

  it('says how to build when dist/ is missing', async () => {
    const bin = path.join(dataDir, 'unbuilt', 'bin', 'gpuops.js');
    await mkdir(path.dirname(bin), { recursive: true });
    await copyFile(GPUOPS_BIN, bin);
    const result = await node(bin, ['--help']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm run build');
  });
});
