import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * Kills every process of this machine's user whose environment holds `name=value`, wherever its
 * process group or session: what an instance started with `setsid` or `nohup` to outlive its SSH
 * connection must still go when the instance does. Reads /proc, so on a system without it
 * (not Linux) only process groups are killed, as before. Synchronous: a few hundred small reads
 * cost less than their round trips through the thread pool would on a busy machine, and stopping
 * an instance waits for it. A second pass when the first killed something, for a child forked
 * meanwhile.
 */
export function killTaggedProcesses(name: string, value: string): number {
  const tag = Buffer.from(`${name}=${value}\0`);
  const afterAnother = Buffer.concat([Buffer.from([0]), tag]);
  let killed = 0;
  for (let pass = 0; pass < 2; pass++) {
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
    } catch {
      return killed;
    }
    const before = killed;
    for (const pid of pids) {
      if (Number(pid) === process.pid) continue;
      let environ: Buffer;
      try {
        environ = readFileSync(`/proc/${pid}/environ`);
      } catch {
        // Gone already, or another user's process: not one of this instance's.
        continue;
      }
      // The variable itself, first or after another's end, not one whose name ends the same (MY_<name>).
      if (!environ.subarray(0, tag.length).equals(tag) && !environ.includes(afterAnother)) continue;
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        // It exited between the read and the kill.
      }
    }
    if (killed === before) break;
  }
  return killed;
}
