import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type GpuBoard, gpuBurnScript, nvidiaSmiScript } from './nvidia-smi.ts';

/**
 * An instance's files on the simulator's disk: `workspace/` is what the instance's commands see
 * as their home and working folder (kept across stop and start, gone on destroy), `bin/` holds
 * the stand-in GPU tools put first on their PATH (nvidia-smi, gpu-burn), and `gpu-load/` the
 * GPU work running now, as nvidia-smi reads it.
 */
export interface InstanceDirs {
  root: string;
  workspace: string;
  bin: string;
  gpuLoad: string;
  onstartLog: string;
}

export function instanceDirs(dataDir: string, instanceId: number): InstanceDirs {
  const root = path.join(dataDir, 'instances', String(instanceId));
  return {
    root,
    workspace: path.join(root, 'workspace'),
    bin: path.join(root, 'bin'),
    gpuLoad: path.join(root, 'gpu-load'),
    onstartLog: path.join(root, 'onstart.log'),
  };
}

export async function prepareInstanceDirs(
  dirs: InstanceDirs,
  board: Omit<GpuBoard, 'loadDir'>,
): Promise<void> {
  await mkdir(dirs.workspace, { recursive: true });
  await mkdir(dirs.bin, { recursive: true });
  await mkdir(dirs.gpuLoad, { recursive: true });
  const withLoad: GpuBoard = { ...board, loadDir: dirs.gpuLoad };
  for (const [name, script] of [
    ['nvidia-smi', nvidiaSmiScript(withLoad)],
    ['gpu-burn', gpuBurnScript(withLoad)],
  ] as const) {
    const file = path.join(dirs.bin, name);
    await writeFile(file, script);
    await chmod(file, 0o755);
  }
}

/**
 * Forgets the GPU work registered by processes of an earlier run: a stopped machine runs
 * nothing, and a pid of a process that died with it may belong to another process later.
 */
export async function clearGpuLoad(dirs: InstanceDirs): Promise<void> {
  await rm(dirs.gpuLoad, { recursive: true, force: true });
  await mkdir(dirs.gpuLoad, { recursive: true });
}

export async function removeInstanceDirs(dirs: InstanceDirs): Promise<void> {
  await rm(dirs.root, { recursive: true, force: true });
}
