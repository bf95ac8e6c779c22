import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapContainerPaths } from '../../../src/cloud/sim/container-paths.ts';

describe('an image’s /workspace on a simulated instance', () => {
  let root: string;
  let workspace: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gpuops-mounts-'));
    // A folder name a shell would otherwise split or expand.
    workspace = path.join(root, `it's a "dir" $HOME`);
    await mkdir(path.join(workspace, 'ckpt'), { recursive: true });
    await writeFile(path.join(workspace, 'ckpt', 'state.txt'), 'epoch 7\n');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** Runs the mapped line in a real shell, from a folder that is not the workspace. */
  const run = async (line: string) =>
    (
      await promisify(execFile)('/bin/sh', ['-c', mapContainerPaths(line, [['/workspace', workspace]])], {
        cwd: root,
      })
    ).stdout;

  it('reaches the workspace however the command line quotes the path', async () => {
    expect(await run('cat /workspace/ckpt/state.txt')).toBe('epoch 7\n');
    expect(await run("cd '/workspace' && cat ckpt/state.txt")).toBe('epoch 7\n');
    expect(await run('cd "/workspace/ckpt" && cat state.txt')).toBe('epoch 7\n');
    expect(await run('W=/workspace; cat "$W/ckpt/state.txt"')).toBe('epoch 7\n');
    expect(await run('tar -C /workspace -cf - ckpt | tar -tf -')).toContain('ckpt/state.txt');
  });

  it('leaves alone what only looks like the path', () => {
    const mounts = [['/workspace', '/data/ws']] as const;
    for (const line of [
      'ls /workspaces',
      'ls a/workspace',
      "ls 'x'/workspace",
      'echo \\/workspace',
      'echo ~/workspace',
    ]) {
      expect(mapContainerPaths(line, mounts)).toBe(line);
    }
    expect(mapContainerPaths('PATH=/workspace/bin:/workspace/sbin x', mounts)).toBe(
      'PATH=/data/ws/bin:/data/ws/sbin x',
    );
  });
});
