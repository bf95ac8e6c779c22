import { describe, expect, it } from 'vitest';
import { HELD_OUT } from './held-out/phrasings.ts';
import { scoreHeldOut } from './held-out/score.ts';

describe('the held-out phrasings', () => {
  it('are read right at least as often as when issue #17 landed (46 of 48, from 24)', () => {
    const { right, wrong } = scoreHeldOut();
    expect(HELD_OUT.length).toBeGreaterThanOrEqual(48);
    expect(right, `read wrong:\n${wrong.join('\n')}`).toBeGreaterThanOrEqual(46);
  });
});
