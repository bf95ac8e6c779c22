import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderInstance } from '../../cloud/provider.ts';
import { sshExec } from '../../cloud/ssh/ssh-client.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { WorkerServices } from '../queue/job-context.ts';

const SSH_ATTEMPTS = 5;

/**
 * Logs in over SSH and lists the GPUs, retrying while sshd comes up. Returns one line per GPU
 * ("NVIDIA GeForce RTX 4090, 24564 MiB").
 */
export async function checkGpusOverSsh(
  services: WorkerServices,
  instance: ProviderInstance,
): Promise<string[]> {
  if (!instance.sshHost || !instance.sshPort) {
    throw new GpuopsError(
      ErrorCode.SshFailed,
      `Instance ${instance.id} is running but publishes no SSH port.`,
    );
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= SSH_ATTEMPTS; attempt++) {
    try {
      const result = await sshExec(
        { host: instance.sshHost, port: instance.sshPort, privateKey: services.sshKey.privateKey },
        'nvidia-smi --query-gpu=name,memory.total --format=csv,noheader',
        10_000,
      );
      if (result.code !== 0) {
        throw new GpuopsError(
          ErrorCode.SshFailed,
          `nvidia-smi exited with ${result.code}: ${result.stderr.trim()}`,
        );
      }
      return result.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    } catch (err) {
      lastError = err;
      // At least a few seconds in all, however fast the polling: sshd may still be starting, and
      // a busy host answers late.
      const base = Math.max(250, services.config.pollIntervalMs);
      await sleep(Math.min(5_000, base * 2 ** (attempt - 1)), undefined, {
        signal: services.shutdown,
      });
    }
  }
  throw new GpuopsError(
    ErrorCode.SshFailed,
    `Could not log in to the instance over SSH (${instance.sshHost}:${instance.sshPort}) after ${SSH_ATTEMPTS} tries: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    { cause: lastError },
  );
}
