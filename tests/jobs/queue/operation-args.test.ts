import { describe, expect, it } from 'vitest';
import type { OperationRow } from '../../../db/schema.ts';
import { ErrorCode, GpuopsError } from '../../../src/errors.ts';
import { operationArgs } from '../../../src/jobs/queue/job-context.ts';

function operation(kind: OperationRow['kind'], args: unknown): OperationRow {
  return { id: 'op-test', kind, args } as Pick<OperationRow, 'id' | 'kind' | 'args'> as OperationRow;
}

describe("a job's data, read with its kind's schema", () => {
  it('gives the job what the tool enqueued, defaults applied', () => {
    const args = operationArgs(
      operation('standby', { instance: 'i-3', machine_type: 'e2-standard-8' }),
      'standby',
    );
    expect(args).toEqual({ instance: 'i-3', enabled: true, machine_type: 'e2-standard-8' });
    expect(operationArgs(operation('snapshot', { instance: 'i-3', scheduled: true }), 'snapshot')).toEqual({
      instance: 'i-3',
      scheduled: true,
    });
  });

  it('ends the job with a clear error when the stored data does not fit its kind, instead of guessing', () => {
    for (const [kind, args] of [
      ['restore', { instance: 'i-3' }],
      ['hibernate', { instance: 'i-3', reason: 'bored' }],
      ['failover', { instance: 'i-3', reason: 'auto', extra: 1 }],
      ['pause', { instance: '3' }],
    ] as const) {
      let thrown: unknown;
      try {
        operationArgs(operation(kind, args), kind);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GpuopsError);
      expect((thrown as GpuopsError).code).toBe(ErrorCode.BadInput);
      expect((thrown as GpuopsError).message).toContain(`does not fit a ${kind} operation`);
    }
  });
});
