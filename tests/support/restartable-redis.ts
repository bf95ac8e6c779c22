import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.ts';
import { waitFor } from './wait.ts';

export interface RestartableRedis {
  url: string;
  /** Kills the server at once (as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
  /**
   * Starts an empty server again on the same port and waits until it answers, so the clients of
   * a test that took Redis away can close at once instead of each waiting out its close timeout.
   */
  restart(): Promise<void>;
  /** The clients connected now, and how many of them wait in a blocking command (none while down). */
  clients(): Promise<RedisClients>;
  /**
   * Waits until at least as many clients as in `before` are connected again, as many of them
   * blocked (workers waiting for jobs, event readers waiting for events), so closing gpuops then
   * finds its clients connected and idle. Gives up quietly after `timeoutMs`: closing still works,
   * only slower.
   */
  awaitClients(before: RedisClients, timeoutMs?: number): Promise<void>;
}

export interface RedisClients {
  connected: number;
  blocked: number;
}

/** A Redis of the test's own, on a free port, that the test may kill and bring back. */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    server = child;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(() => ping(url), { timeoutMs: 10_000, intervalMs: 50, what: `a Redis on port ${port}` });
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  async function kill(): Promise<void> {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
  }

  async function clients(): Promise<RedisClients> {
    const client = quickClient(url);
    try {
      await client.connect();
      const id = Number(await client.call('CLIENT', 'ID'));
      const others = String(await client.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith(`id=${id} `));
      return {
        connected: others.length,
        blocked: others.filter((line) => /\bflags=\w*b/.test(line)).length,
      };
    } catch {
      return { connected: 0, blocked: 0 };
    } finally {
      client.disconnect();
    }
  }

  await start();
  return {
    url,
    kill,
    async restart() {
      await kill();
      await start();
    },
    clients,
    async awaitClients(before, timeoutMs = 10_000) {
      await waitFor(
        async () => {
          const now = await clients();
          return now.connected >= before.connected && now.blocked >= before.blocked;
        },
        { timeoutMs, intervalMs: 50 },
      ).catch(() => {});
    },
  };
}

function quickClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 1_000,
  });
  client.on('error', () => {});
  return client;
}

/** True once a Redis answers PING at `url`. */
async function ping(url: string): Promise<boolean> {
  const client = quickClient(url);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
