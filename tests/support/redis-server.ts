import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from './wait.ts';

/** A free TCP port on loopback (free when asked; take it soon). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface OwnRedis {
  url: string;
  /** Kills the server at once (as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
}

/** A Redis of the test's own, on a free port, that the test may kill to see what breaks. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const redis: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = spawn('redis-cli', ['-p', String(port), 'ping'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        let out = '';
        probe.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        probe.on('close', () => resolve(out.includes('PONG')));
      }),
    { timeoutMs: 10_000, intervalMs: 100, what: `a Redis on port ${port}` },
  );
  let exited: Promise<unknown> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    kill() {
      exited ??=
        redis.exitCode !== null
          ? Promise.resolve()
          : new Promise((r) => {
              redis.once('exit', r);
              redis.kill('SIGKILL');
            });
      return exited.then(() => undefined);
    },
  };
}
