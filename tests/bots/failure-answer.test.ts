import { describe, expect, it } from 'vitest';
import { failureAnswer } from '../../src/bots/failure-answer.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';

describe('the answer to a failed request', () => {
  it("says an unexpected error's code and what to do, without any credential its message carried", () => {
    const answer = failureAnswer(new Error('Slack said invalid_auth for xoxb-1234567890-abcdefghij'));
    expect(answer).toMatchObject({ kind: 'error', code: ErrorCode.Internal });
    expect(answer.text).toMatch(/^⚠️ That failed \(internal\): .*invalid_auth/);
    expect(answer.text).toContain('tell whoever runs gpuops this code');
    expect(answer.text).not.toContain('xoxb-1234567890');
  });

  it('tells a retryable failure to try again later, and leaves a coded one its own advice', () => {
    const busy = failureAnswer(
      new GpuopsError(ErrorCode.ProviderRateLimited, 'vast.ai is rate limiting gpuops.', { retryable: true }),
    );
    expect(busy.text).toBe(
      '⚠️ That failed (provider_rate_limited): vast.ai is rate limiting gpuops. Try again in a minute.',
    );
    const bad = failureAnswer(new GpuopsError(ErrorCode.BadInput, 'Name an instance, e.g. i-3.'));
    expect(bad.text).toBe('⚠️ That failed (bad_input): Name an instance, e.g. i-3.');
  });
});
