import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Runs a command with `/bin/sh -c` in its own process group, so stopping an instance can kill
 * everything the command started (a backgrounded server, a pipeline), not just the shell.
 */
export function spawnShell(
  command: string | null,
  options: { cwd: string; env: Record<string, string>; stdio?: 'pipe' | ['ignore', number, number] },
): ChildProcess {
  // No command: an interactive-less shell reading commands from stdin (an SSH `shell` request).
  const args = command === null ? [] : ['-c', command];
  return spawn('/bin/sh', args, {
    cwd: options.cwd,
    env: options.env,
    stdio: options.stdio ?? 'pipe',
    detached: true,
  });
}

/**
 * Kills the process group, even when the shell itself has exited: what it put in the background
 * lives on in the group. Quiet when the group is gone.
 */
export function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone (the shell exited between the check and the kill).
  }
}

/** True while any process of the command's group runs (its shell may be gone). */
export function processGroupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}
