import type { Readable, Writable } from 'node:stream';
import { Client, type ClientChannel } from 'ssh2';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { connectConfig, type SshTarget } from './ssh-client.ts';

export interface StreamedCommand {
  /** What the command writes to stdout, as it comes. */
  stdout: Readable;
  /** Its stdin; end it when done writing. */
  stdin: Writable;
  /** Resolves when the command exits: its code and what it said on stderr. */
  done: Promise<{ code: number; stderr: string }>;
}

/**
 * One SSH connection to an instance, for several commands whose input and output are streamed
 * (a workspace listing, `tar` both ways). Every command has a deadline from when it starts;
 * a dropped connection fails the commands running on it.
 */
export class SshSession {
  private constructor(
    private readonly conn: Client,
    private readonly target: SshTarget,
  ) {}

  static open(target: SshTarget, timeoutMs = 15_000): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const conn = new Client();
      conn
        .once('ready', () => resolve(new SshSession(conn, target)))
        .once('error', (err) => reject(sshFailure(target, err)))
        .connect({ ...connectConfig(target, timeoutMs), keepaliveInterval: 10_000 });
    });
  }

  /** Starts `command`, streaming both ways. */
  stream(command: string, timeoutMs: number): Promise<StreamedCommand> {
    return new Promise((resolve, reject) => {
      this.conn.exec(command, (err, channel: ClientChannel) => {
        if (err) {
          reject(sshFailure(this.target, err));
          return;
        }
        let stderr = '';
        let code = 255;
        channel.stderr.on('data', (chunk: Buffer) => {
          if (stderr.length < 8_000) stderr += chunk.toString('utf8');
        });
        const done = new Promise<{ code: number; stderr: string }>((resolveDone, rejectDone) => {
          const timer = setTimeout(() => {
            channel.destroy();
            rejectDone(
              new GpuopsError(
                ErrorCode.SshFailed,
                `"${command.slice(0, 60)}" did not finish within ${timeoutMs} ms.`,
                {
                  retryable: true,
                },
              ),
            );
          }, timeoutMs);
          channel.on('exit', (exitCode: number | null) => {
            code = exitCode ?? 255;
          });
          channel.on('close', () => {
            clearTimeout(timer);
            resolveDone({ code, stderr: stderr.trim() });
          });
          this.conn.once('close', () => {
            clearTimeout(timer);
            rejectDone(
              new GpuopsError(
                ErrorCode.SshFailed,
                `The SSH connection to ${this.target.host}:${this.target.port} dropped.`,
                {
                  retryable: true,
                },
              ),
            );
          });
        });
        // An unconsumed rejection is the caller's to see through `done`, not an unhandled one.
        done.catch(() => undefined);
        resolve({ stdout: channel, stdin: channel, done });
      });
    });
  }

  /** Runs `command` with `input` on stdin and collects its stdout; throws on a non-zero exit. */
  async run(command: string, input: Buffer | string = '', timeoutMs = 60_000): Promise<Buffer> {
    const cmd = await this.stream(command, timeoutMs);
    const chunks: Buffer[] = [];
    cmd.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    cmd.stdin.end(input);
    const { code, stderr } = await cmd.done;
    if (code !== 0) {
      throw new GpuopsError(
        ErrorCode.SshFailed,
        `"${command.slice(0, 60)}" failed on ${this.target.host}:${this.target.port} (exit ${code}): ${stderr || 'no message'}`,
      );
    }
    return Buffer.concat(chunks);
  }

  close(): void {
    this.conn.end();
  }
}

function sshFailure(target: SshTarget, err: Error): GpuopsError {
  return new GpuopsError(ErrorCode.SshFailed, `SSH to ${target.host}:${target.port} failed: ${err.message}`, {
    retryable: true,
    cause: err,
  });
}
