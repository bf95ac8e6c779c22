import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { mapContainerPaths, type PathMounts } from './container-paths.ts';
import type { InstanceRecord } from './instance-record.ts';
import type { GpuBoard } from './nvidia-smi.ts';
import { killProcessGroup, killTaggedProcesses, spawnShell } from './shell-process.ts';
import { SshHost } from './ssh-host.ts';
import type { SshKeyring } from './ssh-keyring.ts';
import { installTrlStandIn } from './trl-stand-in.ts';
import {
  clearGpuLoad,
  type InstanceDirs,
  instanceDirs,
  prepareInstanceDirs,
  removeInstanceDirs,
} from './workspace.ts';

export interface InstanceContainersOptions {
  keyring: SshKeyring;
  /** Instances' folders live under `<dataDir>/instances` (see workspace.ts). */
  dataDir: string;
  /** Each instance's SSH runs at its offer's inet_up and inet_down, as the host's network would. */
  linkSpeeds?: boolean | undefined;
  /** How long one optimizer step of the stand-in trainer (`trl sft`, see trl-stand-in.ts) takes, ms. */
  trainerStepMs: number;
  logger: Logger;
}

/** Where a running container's SSH endpoint listens, and since when. */
export interface ContainerEndpoint {
  port: number;
  /** Epoch ms the container last came up: its uptime. */
  upSince: number;
}

interface RunningContainer {
  ssh: SshHost;
  upSince: number;
}

/** Offers state their network in megabits per second. */
function mbpsToBytes(mbps: number): number {
  return Math.max(1, Math.round((mbps * 1e6) / 8));
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Marks every process an instance runs (it is in their environment), so that stopping the
 * instance finds those that left its process groups (`setsid`, a job's supervisor).
 */
const MACHINE_TAG = 'GPUOPS_SIM_MACHINE';

/** What lives outside the workspace, as a machine's /root/.local/state would: job folders (see ssh/remote-job.ts). */
function stateDir(dirs: InstanceDirs): string {
  return path.join(dirs.root, 'state');
}

/**
 * What an instance does to the machine the simulator runs on: its folders (workspace, the
 * stand-in nvidia-smi and gpu-burn, the GPU load they read), its SSH endpoint and its onstart
 * script. It does what it is told and keeps no instance state: the registry decides when.
 */
export class InstanceContainers {
  private readonly running = new Map<number, RunningContainer>();
  private readonly onstarts = new Map<number, ChildProcess>();

  constructor(private readonly o: InstanceContainersOptions) {}

  /** Makes a new instance's folders and its GPU tools for this board. */
  prepare(instanceId: number, board: Omit<GpuBoard, 'loadDir'>): Promise<void> {
    return prepareInstanceDirs(instanceDirs(this.o.dataDir, instanceId), board);
  }

  /** Makes sure the workspace of an instance brought back after a restart of the simulator exists. */
  async keepWorkspace(instanceId: number): Promise<void> {
    await mkdir(instanceDirs(this.o.dataDir, instanceId).workspace, { recursive: true });
  }

  /** Removes everything the instance had on disk. */
  remove(instanceId: number): Promise<void> {
    return removeInstanceDirs(instanceDirs(this.o.dataDir, instanceId));
  }

  /** Starts the container's SSH endpoint with idle GPUs, up since `at` (epoch ms); throws if it cannot. */
  async start(r: InstanceRecord, at: number): Promise<void> {
    const dirs = instanceDirs(this.o.dataDir, r.id);
    await clearGpuLoad(dirs);
    // At every start, so instances kept from an earlier run of the simulator have it too, at today's pace.
    await installTrlStandIn({
      binDir: dirs.bin,
      libDir: path.join(dirs.root, 'lib'),
      stepMs: this.o.trainerStepMs,
      loadDir: dirs.gpuLoad,
    });
    const ssh = await SshHost.start({
      instanceId: r.id,
      hostKey: r.hostKey,
      cwd: dirs.workspace,
      mounts: this.mounts(r),
      env: this.commandEnv(r),
      keyring: this.o.keyring,
      logger: this.o.logger,
      link: this.o.linkSpeeds
        ? {
            upBytesPerSecond: mbpsToBytes(r.offer.inet_up),
            downBytesPerSecond: mbpsToBytes(r.offer.inet_down),
          }
        : undefined,
    });
    this.running.set(r.id, { ssh, upSince: at });
  }

  /** Kills what the container runs and closes its SSH endpoint; its GPUs go idle. */
  async stop(r: InstanceRecord): Promise<void> {
    const child = this.onstarts.get(r.id);
    if (child) killProcessGroup(child);
    this.onstarts.delete(r.id);
    const container = this.running.get(r.id);
    this.running.delete(r.id);
    await container?.ssh.stop();
    killTaggedProcesses(MACHINE_TAG, instanceDirs(this.o.dataDir, r.id).root);
    // Everything the machine ran was killed with it; its GPUs are idle.
    await clearGpuLoad(instanceDirs(this.o.dataDir, r.id)).catch(() => undefined);
  }

  /** The onstart script runs at every start, as vast.ai runs it when the container starts. */
  runOnstart(r: InstanceRecord, script: string): void {
    const dirs = instanceDirs(this.o.dataDir, r.id);
    const fd = openSync(dirs.onstartLog, 'a');
    try {
      const child = spawnShell(mapContainerPaths(script, this.mounts(r)), {
        cwd: dirs.workspace,
        env: this.commandEnv(r),
        stdio: ['ignore', fd, fd],
      });
      child.on('error', (err) =>
        this.o.logger.warn({ err, instanceId: r.id }, 'sim onstart failed to start'),
      );
      this.onstarts.set(r.id, child);
    } finally {
      closeSync(fd);
    }
  }

  /** The running container's SSH endpoint, or undefined when it has none. */
  endpoint(instanceId: number): ContainerEndpoint | undefined {
    const container = this.running.get(instanceId);
    return container && { port: container.ssh.port, upSince: container.upSince };
  }

  /** Kills every onstart process and closes every SSH endpoint; the folders stay, for persistence. */
  async close(): Promise<void> {
    for (const child of this.onstarts.values()) killProcessGroup(child);
    this.onstarts.clear();
    await Promise.all([...this.running.values()].map((c) => c.ssh.stop()));
    for (const id of this.running.keys()) {
      killTaggedProcesses(MACHINE_TAG, instanceDirs(this.o.dataDir, id).root);
    }
    this.running.clear();
  }

  /** An image's /workspace is this instance's workspace folder. */
  private mounts(r: InstanceRecord): PathMounts {
    return [['/workspace', instanceDirs(this.o.dataDir, r.id).workspace]];
  }

  /** Only what an instance would have: nothing of the simulator's own environment but PATH. */
  private commandEnv(r: InstanceRecord): Record<string, string> {
    const dirs = instanceDirs(this.o.dataDir, r.id);
    const userEnv = Object.fromEntries(Object.entries(r.env).filter(([k]) => ENV_NAME.test(k)));
    return {
      HOME: dirs.workspace,
      USER: 'root',
      LOGNAME: 'root',
      SHELL: '/bin/sh',
      LANG: 'C.UTF-8',
      XDG_STATE_HOME: stateDir(dirs),
      ...userEnv,
      PATH: `${dirs.bin}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
      // Command lines may name /workspace (see container-paths.ts); script files that want the
      // workspace should use $WORKSPACE, $HOME or relative paths.
      WORKSPACE: dirs.workspace,
      GPUOPS_SIM_INSTANCE_ID: String(r.id),
      CONTAINER_ID: String(r.id),
      VAST_CONTAINERLABEL: `C.${r.id}`,
      [MACHINE_TAG]: dirs.root,
    };
  }
}
