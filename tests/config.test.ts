import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ErrorCode, GpuopsError } from '../src/errors.ts';

describe('configuration', () => {
  it('runs on defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.vast.baseUrl).toBeUndefined();
    expect(config.queueBackend).toBe('auto');
    expect(config.progressIntervalMs).toBe(1_000);
  });

  it('stops start-up with a message naming the variable that is wrong', () => {
    let error: unknown;
    try {
      loadConfig({ GPUOPS_WORKER_CONCURRENCY: 'many', REDIS_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GpuopsError);
    expect((error as GpuopsError).code).toBe(ErrorCode.ConfigInvalid);
    expect((error as GpuopsError).message).toContain('GPUOPS_WORKER_CONCURRENCY="many"');
    expect((error as GpuopsError).message).toContain('REDIS_URL="not a url"');
  });

  it('rejects an unknown queue backend choice', () => {
    expect(() => loadConfig({ GPUOPS_QUEUE_BACKEND: 'kafka' })).toThrow(/GPUOPS_QUEUE_BACKEND/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', OPENAI_API_KEY: '' }).databaseUrl).toBeUndefined();
  });
});
