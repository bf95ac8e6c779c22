import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runBin } from '../support/cli.ts';
import { FAST_ENV } from '../support/gpuops-harness.ts';
import { GPUOPS_DEV_BIN } from '../support/index.ts';

/** `gpuops ask` running a job on the offline defaults (simulator, PGlite, its Postgres queue), as a script would. */
describe('gpuops ask with a job, end to end', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const gpuops = (args: string[]) => runBin(GPUOPS_DEV_BIN, args, env);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-ask-jobs-'));
    env = {
      ...FAST_ENV,
      GPUOPS_DATA_DIR: dataDir,
      GPUOPS_QUEUE_BACKEND: 'postgres',
      GPUOPS_SIM_TIME_SCALE: '0.01',
    };
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("exits with the command's own status, and its result line names the job and how it ended", async () => {
    const result = await gpuops([
      'ask',
      'run `echo hello; exit 3` on a 4090 and destroy it after',
      '--yes',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(3);
    const final = jsonLines(result.stdout).find((e) => e.type === 'result')!;
    expect(final).toMatchObject({
      kind: 'run_job',
      state: 'failed',
      job: 'j-1',
      job_state: 'failed',
      exit_code: 3,
    });

    const log = await gpuops(['jobs', 'logs', 'j-1']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain('\nhello\n');
  }, 120_000);

  it('exits 0 for a job that succeeded, and `gpuops jobs artifacts` downloads what it kept', async () => {
    const result = await gpuops([
      'ask',
      'run `echo ok > $GPUOPS_OUTPUT/result.txt` on a 4090',
      '--yes',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const final = jsonLines(result.stdout).find((e) => e.type === 'result')!;
    expect(final).toMatchObject({ job: 'j-2', job_state: 'succeeded', exit_code: 0 });

    const out = path.join(dataDir, 'downloaded');
    const artifacts = await gpuops(['jobs', 'artifacts', 'j-2', '--out', out]);
    expect(artifacts.code, artifacts.stderr).toBe(0);
    expect(artifacts.stdout).toContain('1 file, 3 B in');
    expect(await readFile(path.join(out, 'result.txt'), 'utf8')).toBe('ok\n');
  }, 120_000);
});
