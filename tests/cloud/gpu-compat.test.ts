import { describe, expect, it } from 'vitest';
import { compatibleReplacements, gpuById, precisionSupport } from '../../src/cloud/gpu-catalog.ts';

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

describe('what a GPU runs natively', () => {
  const support = (id: string) => precisionSupport(gpuById(id)!);

  it('gives Volta and Turing no bf16, TF32, FP8 or FlashAttention-2', () => {
    for (const id of ['v100', 't4', 'rtx-2080-ti']) {
      expect(support(id)).toEqual({ bf16: false, tf32: false, fp8: false, flashAttention2: false });
    }
  });

  it('gives Ampere bf16, TF32 and FlashAttention-2 but no FP8, and Ada and Hopper FP8 too', () => {
    expect(support('a100-80gb')).toEqual({ bf16: true, tf32: true, fp8: false, flashAttention2: true });
    expect(support('rtx-3090').fp8).toBe(false);
    for (const id of ['rtx-4090', 'l40s', 'h100-sxm', 'b200']) expect(support(id).fp8).toBe(true);
  });

  it('gives FP8 only to the AMD GPU that lists an FP8 rate', () => {
    expect(support('mi300x').fp8).toBe(true);
    expect(support('mi250').fp8).toBe(false);
  });
});
