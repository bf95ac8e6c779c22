import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  beginStandby,
  claimStandbySync,
  getStandby,
  releaseStandbySync,
  renewStandbySync,
  updateStandby,
} from '../../../db/repositories/standbys.ts';
import { LeaseRenewal } from '../../../src/jobs/queue/lease-renewal.ts';
import { openTestDatabase, type TestDatabase } from '../../support/index.ts';

describe("a standby's sync lease", () => {
  let t: TestDatabase;
  const renewals: LeaseRenewal[] = [];

  beforeEach(async () => {
    t = await openTestDatabase('postgres');
    await beginStandby(t.handle.db, {
      instanceId: 7,
      channel: 'team-ml',
      requester: 'alice',
      operationId: 'op-standby',
      vmName: 'gpuops-test-standby-7',
      zone: 'us-central1-a',
      machineType: 'e2-standard-4',
      spot: true,
      hourlyCost: 0.04,
    });
    await updateStandby(t.handle.db, 7, { state: 'ready' });
  });
  afterEach(async () => {
    for (const renewal of renewals.splice(0)) await renewal.stop();
    await t.cleanup();
  });

  function renewing(holder: string, leaseMs: number): LeaseRenewal {
    const renewal = new LeaseRenewal(() => renewStandbySync(t.handle.db, 7, holder, leaseMs), leaseMs);
    renewals.push(renewal);
    return renewal;
  }

  it('stays with a sync that keeps renewing it, longer than the lease itself lasts', async () => {
    // Renewed every third of its 2 s: only a stall of seconds would let it lapse.
    expect(await claimStandbySync(t.handle.db, 7, 'sync-a', 2_000)).toBeDefined();
    const a = renewing('sync-a', 2_000);
    await sleep(3_000);
    expect(await claimStandbySync(t.handle.db, 7, 'sync-b', 600)).toBeUndefined();
    expect(await a.renew()).toBe(true);
    await a.stop();
    await releaseStandbySync(t.handle.db, 7, 'sync-a');
    expect(await claimStandbySync(t.handle.db, 7, 'sync-b', 600)).toBeDefined();
  });

  it('lets go of a sync that died once its lease runs out, and that sync cannot take it back or release it', async () => {
    // Claimed, then never renewed: the worker died.
    expect(await claimStandbySync(t.handle.db, 7, 'sync-a', 300)).toBeDefined();
    await sleep(500);
    expect(await claimStandbySync(t.handle.db, 7, 'sync-b', 60_000)).toBeDefined();
    expect(await renewStandbySync(t.handle.db, 7, 'sync-a', 300)).toBe(false);
    await releaseStandbySync(t.handle.db, 7, 'sync-a');
    expect(await getStandby(t.handle.db, 7)).toMatchObject({ sync_holder: 'sync-b' });
    expect(await claimStandbySync(t.handle.db, 7, 'sync-c', 60_000)).toBeUndefined();
  });

  it('stays with a sync that stalled past its lease while no other sync took it', async () => {
    // Nobody acted under the lease meanwhile, so the stalled sync may carry on with it.
    expect(await claimStandbySync(t.handle.db, 7, 'sync-a', 300)).toBeDefined();
    await sleep(500);
    expect(await renewStandbySync(t.handle.db, 7, 'sync-a', 60_000)).toBe(true);
    expect(await claimStandbySync(t.handle.db, 7, 'sync-b', 60_000)).toBeUndefined();
  });

  it('cannot be renewed once released', async () => {
    expect(await claimStandbySync(t.handle.db, 7, 'sync-a', 60_000)).toBeDefined();
    await releaseStandbySync(t.handle.db, 7, 'sync-a');
    expect(await renewStandbySync(t.handle.db, 7, 'sync-a', 60_000)).toBe(false);
    expect(await claimStandbySync(t.handle.db, 7, 'sync-b', 60_000)).toBeDefined();
  });

  it('is lost to a sync when the standby is turned off under it', async () => {
    expect(await claimStandbySync(t.handle.db, 7, 'sync-a', 60_000)).toBeDefined();
    const a = renewing('sync-a', 60_000);
    await updateStandby(t.handle.db, 7, { state: 'off', sync_lease_until: null, sync_holder: null });
    expect(await a.renew()).toBe(false);
    expect(a.lost).toBe(true);
  });
});
