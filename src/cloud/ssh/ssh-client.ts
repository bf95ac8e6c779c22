import { Client, type ConnectConfig } from 'ssh2';
import { ErrorCode, GpuopsError } from '../../errors.ts';

export interface SshTarget {
  host: string;
  port: number;
  username?: string;
  privateKey: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command over SSH and collects its output, within a deadline for the whole exchange. */
export function sshExec(target: SshTarget, command: string, timeoutMs = 15_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let settled = false;
    const finish = (err: Error | null, result?: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.end();
      if (err) reject(err);
      else resolve(result!);
    };
    const timer = setTimeout(
      () =>
        finish(
          new GpuopsError(
            ErrorCode.SshFailed,
            `SSH to ${target.host}:${target.port} did not answer within ${timeoutMs} ms.`,
            {
              retryable: true,
            },
          ),
        ),
      timeoutMs,
    );
    conn
      .on('ready', () => {
        conn.exec(command, (err, stream) => {
          if (err) return finish(sshError(target, err));
          let stdout = '';
          let stderr = '';
          let code = 0;
          stream.on('data', (chunk: Buffer) => {
            stdout += chunk.toString('utf8');
          });
          stream.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString('utf8');
          });
          stream.on('exit', (exitCode: number | null) => {
            code = exitCode ?? 255;
          });
          stream.on('close', () => finish(null, { code, stdout, stderr }));
        });
      })
      .on('error', (err) => finish(sshError(target, err)))
      .connect(connectConfig(target, timeoutMs));
  });
}

/** How gpuops logs in to an instance. */
export function connectConfig(target: SshTarget, timeoutMs: number): ConnectConfig {
  return {
    host: target.host,
    port: target.port,
    username: target.username ?? 'root',
    privateKey: target.privateKey,
    readyTimeout: timeoutMs,
    // Marketplace hosts publish no host key ahead of time; the key we authenticate with is
    // what protects the session, and the fingerprint is not pinned.
    hostVerifier: () => true,
  };
}

function sshError(target: SshTarget, err: Error): GpuopsError {
  return new GpuopsError(ErrorCode.SshFailed, `SSH to ${target.host}:${target.port} failed: ${err.message}`, {
    retryable: true,
    cause: err,
  });
}
