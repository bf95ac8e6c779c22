import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/index.ts';

function freePort(): Promise<number> {
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

describe('when the queue goes down', () => {
  let redis: ChildProcess;
  let g: TestGpuops;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
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
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
    });
  });
  afterAll(async () => {
    redis?.kill('SIGKILL');
    await g?.close();
  });

  it('answers a deploy with a clear error instead of hanging, and records nothing as pending', async () => {
    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    const started = Date.now();
    await g.say('deploy a 4090');
    expect(Date.now() - started).toBeLessThan(15_000);
    const [error] = g.surface.errors();
    expect(error!.code).toBe('queue_unavailable');
    expect(error!.text).toContain('nothing was started');
    expect(g.surface.progressRefs()).toHaveLength(0);
    const pending = await g.runtime.database.db
      .selectFrom('operations')
      .selectAll()
      .where('state', 'in', ['queued', 'running'])
      .execute();
    expect(pending).toEqual([]);
  });
});
