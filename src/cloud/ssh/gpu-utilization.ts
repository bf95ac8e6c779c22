import { ErrorCode, GpuopsError } from '../../errors.ts';
import { type SshTarget, sshExec } from './ssh-client.ts';

/** What nvidia-smi is asked: one line per GPU, "<index>, <utilisation %>". */
export const UTILIZATION_QUERY = 'nvidia-smi --query-gpu=index,utilization.gpu --format=csv,noheader,nounits';

/**
 * Reads each GPU's utilisation (%) on an instance over SSH with nvidia-smi, within `timeoutMs`
 * for the whole exchange. Throws SshFailed when the instance cannot be reached or nvidia-smi
 * fails, and when its answer cannot be read exactly (no GPUs, a value that is not a percentage):
 * a guess would make an instance look idle that is not.
 */
export async function readGpuUtilization(target: SshTarget, timeoutMs: number): Promise<number[]> {
  const result = await sshExec(target, UTILIZATION_QUERY, timeoutMs);
  if (result.code !== 0) {
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `nvidia-smi exited with ${result.code} on ${target.host}:${target.port}: ${result.stderr.trim() || 'no message'}`,
      { retryable: true },
    );
  }
  return parseGpuUtilization(result.stdout);
}

/** Parses `index, utilization.gpu` lines (csv, noheader, nounits). */
export function parseGpuUtilization(stdout: string): number[] {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const values = lines.map((line) => {
    const match = /^(\d+),\s*(\d{1,3}(?:\.\d+)?)$/.exec(line);
    const value = match ? Number(match[2]) : Number.NaN;
    if (!match || value > 100) {
      throw new GpuopsError(
        ErrorCode.SshFailed,
        `nvidia-smi answered "${line.slice(0, 80)}", not a GPU's utilisation.`,
      );
    }
    return value;
  });
  if (values.length === 0) throw new GpuopsError(ErrorCode.SshFailed, 'nvidia-smi listed no GPUs.');
  return values;
}
