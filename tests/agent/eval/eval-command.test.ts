import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHRASINGS } from '../../../src/agent/eval/phrasings.ts';
import { GPUOPS_DEV_BIN } from '../../support/cli.ts';

const run = promisify(execFile);

describe('gpuops eval', () => {
  let dir: string;
  /** No OPENAI_* settings: the offline planner is the configured model. */
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gpuops-eval-cli-'));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      GPUOPS_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function gpuops(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [GPUOPS_DEV_BIN, 'eval', ...args], {
        env,
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  }

  it("prints the offline planner's score on the default set and a file of one's own, and exits 0", async () => {
    const file = path.join(dir, 'mine.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ text: 'pause i-3', calls: [{ tool: 'destroy', args: { instance: 'i-3' } }] })}\n`,
    );
    const { code, stdout } = await gpuops(['--file', file, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      sets: `the default set + ${file}`,
      model: 'offline-planner',
      phrasings: PHRASINGS.length + 1,
      right_args: PHRASINGS.length,
      failures: [{ text: 'pause i-3', got: [{ tool: 'pause', args: { instance: 'i-3' } }] }],
    });
  });

  it('prints a table per tool for people, limited to the first phrasings asked for', async () => {
    const { code, stdout } = await gpuops(['--limit', '5']);
    expect(code).toBe(0);
    expect(stdout).toContain('gpuops eval · offline-planner · 5 phrasings (the default set)');
    expect(stdout).toContain('right tool and arguments: 5/5 (100%)');
    expect(stdout).toMatch(/^search_offers\s+5\s+5 \(100%\)\s+5 \(100%\)$/m);
    expect(stdout).toContain('failures: none');
  });

  it('refuses a file with a bad line, naming it, and exits 2', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(file, `${JSON.stringify({ text: 'pause i-3', calls: [] })}\n{"text": "oops"\n`);
    const { code, stdout, stderr } = await gpuops(['--file', file, '--only-file']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/bad\.jsonl has a line that cannot be read; nothing was run\./);
    expect(stderr).toMatch(/line 2: not JSON/);
  });
});
