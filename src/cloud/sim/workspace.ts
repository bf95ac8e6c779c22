import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type GpuBoard, nvidiaSmiScript } from './nvidia-smi.ts';

/**
 * An instance's files on the simulator's disk: `workspace/` is what the instance's commands see
 * as their home and working folder (kept across stop and start, gone on destroy), `bin/` holds
 * the stand-in GPU tools put first on their PATH.
 */
export interface InstanceDirs {
  root: string;
  workspace: string;
  bin: string;
  onstartLog: string;
}

export function instanceDirs(dataDir: string, instanceId: number): InstanceDirs {
  const root = path.join(dataDir, 'instances', String(instanceId));
  return {
    root,
    workspace: path.join(root, 'workspace'),
    bin: path.join(root, 'bin'),
    onstartLog: path.join(root, 'onstart.log'),
  };
}

export async function prepareInstanceDirs(dirs: InstanceDirs, board: GpuBoard): Promise<void> {
  await mkdir(dirs.workspace, { recursive: true });
  await mkdir(dirs.bin, { recursive: true });
  const smi = path.join(dirs.bin, 'nvidia-smi');
  await writeFile(smi, nvidiaSmiScript(board));
  await chmod(smi, 0o755);
}

export async function removeInstanceDirs(dirs: InstanceDirs): Promise<void> {
  await rm(dirs.root, { recursive: true, force: true });
}
