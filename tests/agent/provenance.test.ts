import { describe, expect, it } from 'vitest';
import { machinesAskedFor } from '../../src/agent/provenance.ts';

describe('how many machines a request asks for', () => {
  it('reads separate machines in digits and in the same number words as every other reader', () => {
    expect(machinesAskedFor('two separate 4090 machines')).toBe(2);
    expect(machinesAskedFor('3 instances of a 4090')).toBe(3);
    expect(machinesAskedFor('eleven identical A100 boxes')).toBe(10);
    expect(machinesAskedFor('twenty-four servers')).toBe(10);
  });

  it('counts GPUs in one machine as one machine', () => {
    expect(machinesAskedFor('2x 4090')).toBe(1);
    expect(machinesAskedFor('deploy four 4090s')).toBe(1);
  });
});
