import { describe, expect, it } from 'vitest';
import { readOperationResult } from '../../src/domain/operation-result.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';

describe('an operation result read back from its row', () => {
  it('reads a stored result as it was written', () => {
    const stored = {
      instance: 'i-3',
      gpu: 'RTX 4090',
      gpuCount: 2,
      pricePerHour: 0.8,
      state: 'running',
      snapshot: 'snap-4',
      timings: { recoveryMs: 1200 },
      summary: 'i-3 running',
    };
    expect(readOperationResult('op-1', stored)).toEqual(stored);
  });

  it('refuses one that does not fit, as an internal error naming the operation and the field', () => {
    let thrown: unknown;
    try {
      readOperationResult('op-2', { instance: 'i-3' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GpuopsError);
    expect(thrown).toMatchObject({ code: ErrorCode.Internal, retryable: false, details: { op: 'op-2' } });
    expect((thrown as GpuopsError).message).toMatch(/^Operation op-2 succeeded, but .*summary/);
  });

  it('refuses a missing result', () => {
    expect(() => readOperationResult('op-3', null)).toThrow(/Operation op-3 succeeded/);
  });
});
