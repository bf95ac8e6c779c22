import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderInstance } from '../../cloud/provider.ts';
import type { ProviderInstanceStatus } from '../../domain/instance-states.ts';
import { DEAD_STATUSES } from '../../domain/instance-states.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { JobContext } from '../queue/job-context.ts';

export interface WaitOptions {
  want: ProviderInstanceStatus;
  stepIndex: number;
  timeoutMs: number;
  /** For running: also wait until the SSH port is published. */
  needSsh?: boolean;
}

export type WaitOutcome =
  | { kind: 'reached'; instance: ProviderInstance }
  | { kind: 'dead'; instance: ProviderInstance }
  | { kind: 'gone' };

/** Polls the provider until the instance reaches a status, dies, or disappears; throws on timeout. */
export async function waitForStatus(
  ctx: JobContext,
  providerId: string,
  opts: WaitOptions,
): Promise<WaitOutcome> {
  const started = Date.now();
  let lastStatus = '';
  for (;;) {
    const instance = await ctx.provider.getInstance(providerId);
    if (!instance) return { kind: 'gone' };
    if (DEAD_STATUSES.has(instance.status)) return { kind: 'dead', instance };
    if (instance.status === opts.want && (!opts.needSsh || (instance.sshHost && instance.sshPort))) {
      return { kind: 'reached', instance };
    }
    const elapsed = Date.now() - started;
    if (elapsed > opts.timeoutMs) {
      throw new GpuopsError(
        ErrorCode.Timeout,
        `The instance was still "${instance.status}" after ${Math.round(elapsed / 1000)} s, waiting for "${opts.want}".`,
      );
    }
    if (instance.status !== lastStatus) {
      lastStatus = instance.status;
      const message = instance.statusMessage
        ? `${instance.status}: ${instance.statusMessage}`
        : instance.status;
      // The share of the step is a guess from the provider's phase, enough for a moving bar.
      const within = instance.status === 'loading' ? 0.5 : instance.status === 'provisioning' ? 0.2 : 0.1;
      await ctx.report(opts.stepIndex, `provider: ${message}`, within);
    }
    await sleep(ctx.config.pollIntervalMs, undefined, { signal: ctx.shutdown });
  }
}

/** Polls until the provider no longer lists the instance; destroyed instances simply disappear. */
export async function waitUntilGone(ctx: JobContext, providerId: string): Promise<void> {
  const deadline = Date.now() + ctx.config.deployTimeoutMs;
  while (await ctx.provider.getInstance(providerId)) {
    if (Date.now() > deadline) {
      throw new GpuopsError(
        ErrorCode.Timeout,
        `The provider still lists instance ${providerId} after destroying it; it may still bill. Try destroying it again.`,
        { retryable: true },
      );
    }
    await sleep(ctx.config.pollIntervalMs, undefined, { signal: ctx.shutdown });
  }
}
