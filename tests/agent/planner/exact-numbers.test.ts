import { describe, expect, it } from 'vitest';
import { type Plan, planRequest } from '../../../src/agent/planner/index.ts';
import type { PlannedCall } from '../../../src/tools/schemas.ts';

/**
 * Numbers and places the planner cannot read exactly are asked about, quoting what the user wrote
 * and saying what to write instead; they never become a different request that runs.
 */

function expectQuestionQuoting(text: string, written: string): void {
  expect(planRequest(text), text).toEqual<Plan>({
    kind: 'clarify',
    message: expect.stringMatching(new RegExp(`${escapeRegExp(written)}[\\s\\S]*e\\.g\\.`)),
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('numbers that are not exactly readable', () => {
  it.each([
    ['deploy ½ 4090', '½'],
    ['rent ⅓ h100', '⅓'],
    ['deploy 1/2 4090', '1/2'],
    ['deploy 2x½ 4090', '2x½'],
    ['deploy half a 4090', 'half a'],
    ['deploy four and a half 4090s', 'four and a half'],
  ])('asks instead of deploying a fraction of a GPU in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['1000000x h100', '1000000'],
    ['deploy 1000000x h100', '1000000'],
    ['deploy 99 4090s', '99'],
    ['find 1,000 4090s', '1,000'],
  ])('says one machine holds at most 16 GPUs for "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
    expect(planRequest(text)).toMatchObject({ message: expect.stringContaining('at most 16 GPUs') });
  });

  it.each([
    ['deploy 1e3 4090s', '1e3'],
    ['deploy a 4090 under $1e308/hr', '$1e308/hr'],
    ['deploy a 4090 under 5e-1 dollars', '5e-1 dollars'],
    ['deploy 4090 with 1e2 GB disk', '1e2 GB disk'],
    ['deploy 4090 with 99% reliability, uptime 9e-1', 'uptime 9e-1'],
    ['destroy i-2e3', 'i-2e3'],
  ])('refuses exponent notation in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['deploy -1 h100', '-1'],
    ['deploy −2 4090s', '-2'],
    ['deploy a 4090 with -40 GB disk', '-40 GB disk'],
    ['deploy 4090 under $-0.5/hr', '$-0.5/hr'],
    ['deploy 4090 with -99% reliability', '-99%'],
    ['destroy instance -3', '-3'],
  ])('refuses a negative value in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['deploy 3.5 h100', '3.5'],
    ['deploy 3.0 4090s', '3.0'],
    ['deploy 2.5x a100', '2.5x'],
    ['deploy 4090 x2.5', 'x2.5'],
    ['deploy 4090 with 12.5GB disk', '12.5GB disk'],
    ['deploy a 4090 with .5 GB disk', '.5 GB disk'],
    ['destroy i-1.5', 'i-1.5'],
    ['pause i-3.0', 'i-3.0'],
    ['stop instance 4.2', '4.2'],
  ])('refuses a decimal where a whole number is needed in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['deploy 1,5 4090', '1,5'],
    ['deploy 4090 under 0,45 dollars', '0,45 dollars'],
    ['4090 under $1.2.3/hr', '$1.2.3/hr'],
  ])('refuses a number that could be read two ways in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['deploy a 4090 under $NaN/hr', '$NaN/hr'],
    ['deploy 4090 under $inf/hr', '$inf/hr'],
    ['deploy 4090 under $Infinity/hr', '$Infinity/hr'],
    ['deploy NaN 4090s', 'NaN'],
    ['deploy 4090 with reliability NaN', 'reliability NaN'],
    ['destroy i-NaN', 'i-NaN'],
  ])('refuses NaN and Infinity in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['deploy 0x 4090', '0x'],
    ['deploy 4090 with disk 0 GB', 'disk 0 GB'],
    ['deploy 4090 with 20001 GB disk', '20001 GB disk'],
    ['4090 under $5000/hr', '$5000/hr'],
    ['deploy 4090 with 150% reliability', '150%'],
    ['destroy i-1234567890', 'i-1234567890'],
  ])('refuses a value outside what the tool takes in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });

  it.each([
    ['deploy 4090 under $0.45abc/hr', '$0.45abc/hr'],
    ['4090 under $2k/hr', '$2k/hr'],
    ['deploy 2abc 4090', '2abc'],
    ['status of i-3x', 'i-3x'],
  ])('refuses letters glued to the digits in "%s"', (text, written) => {
    expectQuestionQuoting(text, written);
  });
});

describe('places that are not a known region or country', () => {
  it.each([
    ['deploy a 4090 in Atlantis', 'Atlantis'],
    ['deploy 4090 in Narnia', 'Narnia'],
    ['deploy 4090 in the moon', 'the moon'],
    ['4090 offers in Narnia', 'Narnia'],
    ['deploy 4090 from Mordor', 'Mordor'],
    ['deploy 4090 region: mars', 'mars'],
    ['deploy 4090 in ZZ', 'ZZ'],
  ])('asks where "%s" means, naming places that work', (text, written) => {
    expectQuestionQuoting(text, written);
    expect(planRequest(text)).toMatchObject({ message: expect.stringMatching(/Europe.*"in DE"/) });
  });

  it('asks for one region or country when a place covers several', () => {
    expectQuestionQuoting('deploy a 4090 in the Nordics', 'the Nordics');
    expect(planRequest('deploy a 4090 in the Nordics')).toMatchObject({
      message: expect.stringContaining('several countries'),
    });
  });
});

describe('everyday phrasings around those faults', () => {
  const deploy = (args: Record<string, unknown>): PlannedCall => ({
    tool: 'deploy',
    args: { count: 1, ...args },
  });

  it.each<readonly [string, PlannedCall[]]>([
    ['deploy a 4090 in Europe', [deploy({ gpu: 'rtx-4090', region: 'europe' })]],
    ['deploy a 4090 in the US', [deploy({ gpu: 'rtx-4090', region: 'US' })]],
    ['deploy a 4090 in DE', [deploy({ gpu: 'rtx-4090', region: 'DE' })]],
    ['deploy a 4090 in the U.K.', [deploy({ gpu: 'rtx-4090', region: 'GB' })]],
    ['rent a 4090 in Peru', [deploy({ gpu: 'rtx-4090', region: 'PE' })]],
    ['deploy a 4090 in the cloud in a minute', [deploy({ gpu: 'rtx-4090' })]],
    ['deploy a 4090 in pytorch', [deploy({ gpu: 'rtx-4090', image: 'pytorch/pytorch:latest' })]],
    ['deploy a 4090 with 200 GB disk', [deploy({ gpu: 'rtx-4090', disk_gb: 200 })]],
    ['deploy a 4090 with 1,000 GB disk', [deploy({ gpu: 'rtx-4090', disk_gb: 1000 })]],
    ['deploy a 4090 with 1.5tb disk', [deploy({ gpu: 'rtx-4090', disk_gb: 1500 })]],
    ['deploy a 4090 under 50 cents an hour', [deploy({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 })]],
    ['deploy a 4090 under $0.45/hr', [deploy({ gpu: 'rtx-4090', max_price_per_gpu_hour: 0.45 })]],
    ['deploy 2x A100', [deploy({ gpu: 'a100-40gb', count: 2 })]],
    ['deploy 2 reliable 4090s', [deploy({ gpu: 'rtx-4090', count: 2 })]],
    ['destroy i-3', [{ tool: 'destroy', args: { instance: 'i-3' } }]],
    [
      'pause instances 3 and 4',
      [
        { tool: 'pause', args: { instance: 'i-3' } },
        { tool: 'pause', args: { instance: 'i-4' } },
      ],
    ],
  ])('still plans "%s"', (text, calls) => {
    expect(planRequest(text)).toEqual<Plan>({ kind: 'calls', calls });
  });

  it.each(['deploy it in no time', 'put it in it', 'show me 4090s in an hour'])(
    'does not read "%s" as a place',
    (text) => {
      const plan = planRequest(text);
      expect(plan.kind === 'calls' || !('message' in plan) || !/as a place/.test(plan.message)).toBe(true);
    },
  );
});
