import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../db/repositories/audit.ts';
import { getInstance, insertInstance, settleIdleInstance } from '../../db/repositories/instances.ts';
import { createOperation, finishOperation, markOperationRunning } from '../../db/repositories/operations.ts';
import type { Database, InstanceRow, NewInstance } from '../../db/schema.ts';
import type { ProviderInstance } from '../../src/cloud/provider.ts';
import type { InstanceState, ProviderInstanceStatus } from '../../src/domain/instance-states.ts';
import type { OperationKind } from '../../src/domain/operations.ts';
import { openTestDatabase, type TestDatabase, uniquePrefix } from '../support/index.ts';

/**
 * settleIdleInstance is the one place a record follows what gpuops just heard from the provider
 * outside an operation (a list, a status, a new request, the reconciler). It must never overwrite
 * what an operation owns: one queued or running, or one that ended after the provider was asked.
 */

function machine(id: string, status: ProviderInstanceStatus): ProviderInstance {
  return {
    id,
    machineId: 7,
    status,
    intendedStatus: status === 'stopped' ? 'stopped' : 'running',
    statusMessage: null,
    gpuName: 'RTX 3090',
    numGpus: 1,
    pricePerHour: 0.2,
    sshHost: '127.0.0.1',
    sshPort: 40_022,
    label: null,
    image: 'pytorch/pytorch:latest',
    diskGb: 20,
    storageCostPerGbMonth: null,
    startedAt: Date.now(),
  };
}

describe.each(['postgres', 'pglite'] as const)('settling a record against the provider, on %s', (kind) => {
  let test: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.handle.db;
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  async function instanceIn(state: InstanceState): Promise<InstanceRow> {
    const values: NewInstance = {
      provider: 'vast',
      provider_instance_id: uniquePrefix('m'),
      offer_id: 1,
      label: `gpuops-${uniquePrefix('op')}`,
      gpu_name: 'RTX 3090',
      gpu_count: 1,
      price_per_hour: 0.2,
      state,
      provider_status: 'running',
      image: 'pytorch/pytorch:latest',
      disk_gb: 20,
      location: null,
      ssh_host: null,
      ssh_port: null,
      owner: 'alice',
      channel: 'team-ml',
      operation_id: uniquePrefix('op'),
    };
    return insertInstance(db, values);
  }

  async function operationOn(row: InstanceRow, kind: OperationKind = 'pause') {
    const { operation } = await createOperation(db, {
      id: uniquePrefix('op'),
      kind,
      args: JSON.stringify({ instance: `i-${row.id}` }),
      requester: 'alice',
      channel: row.channel,
      reply_to: JSON.stringify({ surface: 'test', channel: row.channel }),
      state: 'queued',
      instance_id: row.id,
      step: null,
    });
    return operation;
  }

  const heard = { scope: 'moving', heardFrom: 'test' } as const;

  it('settles a "stopping" record no operation owns to what the provider says, and audits it', async () => {
    const row = await instanceIn('stopping');
    const settled = await settleIdleInstance(
      db,
      row,
      { machine: machine(row.provider_instance_id!, 'running'), since: new Date() },
      heard,
    );
    expect(settled).toMatchObject({
      written: true,
      moved: { from: 'stopping', to: 'running', provider: 'running' },
      row: { state: 'running', provider_status: 'running', ssh_port: 40_022 },
    });
    expect(await getInstance(db, row.id)).toMatchObject({ state: 'running' });
    const [entry] = await listAudit(db, { target: `i-${row.id}` });
    expect(entry).toMatchObject({ actor: 'gpuops', action: 'reconcile', outcome: 'ok' });
    expect(entry!.details).toMatchObject({ from: 'stopping', to: 'running', heard_from: 'test' });
  });

  it('settles "starting", "destroying" and "provisioning" as well, each to the provider view', async () => {
    const starting = await instanceIn('starting');
    const destroying = await instanceIn('destroying');
    const provisioning = await instanceIn('provisioning');
    const since = new Date();
    const results = await Promise.all([
      settleIdleInstance(
        db,
        starting,
        { machine: machine(starting.provider_instance_id!, 'stopped'), since },
        heard,
      ),
      settleIdleInstance(db, destroying, { machine: null, since }, heard),
      settleIdleInstance(
        db,
        provisioning,
        { machine: machine(provisioning.provider_instance_id!, 'running'), since },
        heard,
      ),
    ]);
    expect(results.map((r) => r.row.state)).toEqual(['stopped', 'destroyed', 'running']);
  });

  it('leaves a settled state the provider contradicts to the reconciler, recording only what the provider says', async () => {
    const row = await instanceIn('running');
    const settled = await settleIdleInstance(
      db,
      row,
      { machine: machine(row.provider_instance_id!, 'stopped'), since: new Date() },
      heard,
    );
    expect(settled.moved).toBeUndefined();
    expect(await getInstance(db, row.id)).toMatchObject({ state: 'running', provider_status: 'stopped' });
  });

  it('never touches an instance whose operation is queued', async () => {
    const row = await instanceIn('stopping');
    await operationOn(row);
    const settled = await settleIdleInstance(
      db,
      row,
      { machine: machine(row.provider_instance_id!, 'running'), since: new Date() },
      heard,
    );
    expect(settled.written).toBe(false);
    expect(await getInstance(db, row.id)).toMatchObject({ state: 'stopping', updated_at: row.updated_at });
  });

  it('never touches an instance whose operation is running', async () => {
    const row = await instanceIn('starting');
    const op = await operationOn(row, 'resume');
    await markOperationRunning(db, op.id, 'starting the machine');
    const settled = await settleIdleInstance(
      db,
      row,
      { machine: machine(row.provider_instance_id!, 'stopped'), since: new Date() },
      { scope: 'all', heardFrom: 'test' },
    );
    expect(settled.written).toBe(false);
    expect(await getInstance(db, row.id)).toMatchObject({ state: 'starting' });
  });

  it('never applies a view heard before an operation of the instance ended: that operation may have moved the machine since', async () => {
    const row = await instanceIn('stopping');
    const since = new Date();
    const op = await operationOn(row);
    await finishOperation(db, op.id, { state: 'failed', error: { code: 'cancelled', message: 'test' } });
    const stale = await settleIdleInstance(
      db,
      row,
      { machine: machine(row.provider_instance_id!, 'running'), since },
      heard,
    );
    expect(stale.written).toBe(false);
    expect(await getInstance(db, row.id)).toMatchObject({ state: 'stopping' });
    // Heard afresh after that operation ended, the view is the truth.
    const fresh = await settleIdleInstance(
      db,
      row,
      { machine: machine(row.provider_instance_id!, 'running'), since: new Date(Date.now() + 1) },
      heard,
    );
    expect(fresh.row.state).toBe('running');
  });

  it('does not overwrite a record whose state changed after it was read', async () => {
    const read = await instanceIn('stopping');
    await settleIdleInstance(db, read, { machine: null, since: new Date() }, heard);
    const late = await settleIdleInstance(
      db,
      read,
      { machine: machine(read.provider_instance_id!, 'running'), since: new Date() },
      heard,
    );
    expect(late).toMatchObject({ written: false, row: { state: 'destroyed' } });
  });
});
