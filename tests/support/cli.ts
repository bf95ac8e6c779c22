import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The gpuops that tests and benches spawn: bin/gpuops-dev.js runs the TypeScript sources through
 * tsx, so a child process runs the code as it is now, never a dist/ built before the last edit.
 */
export const GPUOPS_DEV_BIN = path.join(ROOT, 'bin/gpuops-dev.js');

/** The compiled gpuops (dist/): what `npm start`, `npx gpuops` and the container run. */
export const GPUOPS_BIN = path.join(ROOT, 'bin/gpuops.js');

/** Written by every build (tsc rewrites all its output), so its time is the build's. */
const BUILT_MAIN = path.join(ROOT, 'dist/src/cli/main.js');

/** Runs `npm run build` unless dist/ is there and newer than every source it is built from. */
export function ensureBuilt(): void {
  if (builtAt() > newestSource()) return;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}

function builtAt(): number {
  try {
    return statSync(BUILT_MAIN).mtimeMs;
  } catch {
    return 0;
  }
}

function newestSource(): number {
  let newest = Math.max(
    statSync(path.join(ROOT, 'tsconfig.json')).mtimeMs,
    statSync(path.join(ROOT, 'tsconfig.build.json')).mtimeMs,
  );
  for (const dir of ['src', 'db']) {
    for (const file of readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (file.endsWith('.ts')) newest = Math.max(newest, statSync(path.join(ROOT, dir, file)).mtimeMs);
    }
  }
  return newest;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a gpuops bin with only the environment given (no NODE_OPTIONS, so no loader leaks in). */
export async function runBin(
  bin: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The JSON objects of `--json` output, one a line. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * `gpuops worker` from the sources, as a child process a test can kill; what it prints is kept
 * in `output` so a failing test can say what the worker said.
 */
export function spawnWorker(env: Record<string, string>, output: string[]): ChildProcess {
  const child = spawn(process.execPath, [GPUOPS_DEV_BIN, 'worker'], {
    env: { ...process.env, ...env, GPUOPS_LOG_FILE: '-', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}
