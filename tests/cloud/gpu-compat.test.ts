import { describe, expect, it } from 'vitest';
import { compatibleReplacements, gpuById } from '../../src/cloud/gpu-catalog.ts';

function replacementsOf(id: string): string[] {
  return compatibleReplacements(gpuById(id)!).map((g) => g.id);
}

describe('replacements a failover may move a workload to', () => {
  it('offers the same GPU first, then ones with as much memory that run it about as fast', () => {
    const forA4090 = replacementsOf('rtx-4090');
    expect(forA4090[0]).toBe('rtx-4090');
    expect(forA4090).toContain('rtx-5090');
    expect(forA4090).toContain('l40s');
  });

  it('never offers a slower card of the same memory (an L4 for a 4090), one with less memory, or another vendor', () => {
    const forA4090 = replacementsOf('rtx-4090');
    expect(forA4090).not.toContain('l4');
    expect(forA4090).not.toContain('rtx-3090');
    expect(replacementsOf('a100-80gb')).not.toContain('a100-40gb');
    expect(replacementsOf('h100-sxm').some((id) => id.startsWith('mi'))).toBe(false);
  });
});
