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

  it('turns CPU standby on GCP on with a project, and names a zone it cannot read', () => {
    expect(loadConfig({}).gcp).toBeUndefined();
    expect(
      loadConfig({
        GPUOPS_GCP_PROJECT: 'team-ml',
        GPUOPS_GCP_SPOT: 'true',
        GOOGLE_APPLICATION_CREDENTIALS: '/keys/gpuops.json',
      }).gcp,
    ).toMatchObject({
      project: 'team-ml',
      zone: 'us-central1-a',
      machineType: 'e2-standard-4',
      spot: true,
      credentialsFile: '/keys/gpuops.json',
      sshPort: 22,
      apiEndpoint: undefined,
    });
    expect(() => loadConfig({ GPUOPS_GCP_PROJECT: 'team-ml', GPUOPS_GCP_ZONE: 'us central' })).toThrow(
      /GPUOPS_GCP_ZONE="us central": a zone like us-central1-a/,
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', OPENAI_API_KEY: '' }).databaseUrl).toBeUndefined();
  });
});
