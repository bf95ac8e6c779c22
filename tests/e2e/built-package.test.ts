import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, GPUOPS_BIN, jsonLines, runBin } from '../support/cli.ts';
import { FAST_ENV } from '../support/gpuops-harness.ts';

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
    const result = await runBin(GPUOPS_BIN, ['--help']);
    expect(result.code, result.stderr).toBe(0);
    for (const command of ['chat', 'ask', 'plan', 'advise', 'sim', 'serve', 'worker']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
  });

  it('plans a deploy offline and prints the tool call as one JSON line', async () => {
    const result = await runBin(GPUOPS_BIN, ['plan', 'deploy a 4090', '--json'], { GPUOPS_OFFLINE: 'true' });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([{ tool: 'deploy', args: { gpu: 'rtx-4090', count: 1 } }]);
  });

  it('opens its embedded database, compiled migrations included, and answers a request', async () => {
    const result = await runBin(GPUOPS_BIN, ['ask', 'list my instances', '--json'], {
      ...FAST_ENV,
      GPUOPS_DATA_DIR: dataDir,
      GPUOPS_SIM_TIME_SCALE: '0.01',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout).at(-1)).toEqual({ type: 'done', ok: true });
  });

  it('says how to build when dist/ is missing', async () => {
    const bin = path.join(dataDir, 'unbuilt', 'bin', 'gpuops.js');
    await mkdir(path.dirname(bin), { recursive: true });
    await copyFile(GPUOPS_BIN, bin);
    const result = await runBin(bin, ['--help']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('npm run build');
  });
});
