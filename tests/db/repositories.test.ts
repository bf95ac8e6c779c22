import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit, recordAudit } from '../../db/repositories/audit.ts';
import {
  deleteUnrentedInstance,
  findInstanceByLabel,
  findInstanceByOperation,
  getInstance,
  insertInstance,
  insertInstanceForOperation,
  listInstances,
  updateIdleInstance,
  updateInstance,
} from '../../db/repositories/instances.ts';
import {
  createOperation,
  finishOperation,
  getOperation,
  listOperations,
  markOperationRunning,
  updateOperation,
} from '../../db/repositories/operations.ts';
import type { Database, NewInstance, NewOperation } from '../../db/schema.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import { openTestDatabase, type TestDatabase, uniquePrefix } from '../support/index.ts';

function newInstance(overrides: Partial<NewInstance> = {}): NewInstance {
  return {
    provider: 'vast',
    provider_instance_id: null,
    offer_id: 123_456,
    label: `gpuops-${uniquePrefix('op')}`,
    gpu_name: 'RTX 4090',
    gpu_count: 2,
    price_per_hour: 0.734,
    state: 'provisioning',
    provider_status: null,
    image: 'pytorch/pytorch:latest',
    disk_gb: 40,
    location: 'Oregon, US',
    ssh_host: null,
    ssh_port: null,
    owner: 'alice',
    channel: 'team-ml',
    operation_id: uniquePrefix('op'),
    ...overrides,
  };
}

function newOperation(overrides: Partial<NewOperation> = {}): NewOperation {
  return {
    id: uniquePrefix('op'),
    kind: 'deploy',
    args: JSON.stringify({ gpu: 'rtx-4090', count: 2 }),
    requester: 'alice',
    channel: 'team-ml',
    reply_to: JSON.stringify({ surface: 'slack', channel: 'C1', thread: '171.2' }),
    state: 'queued',
    instance_id: null,
    step: null,
    ...overrides,
  };
}

describe.each(['postgres', 'pglite'] as const)('repositories on %s', (kind) => {
  let test: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.handle.db;
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('stores an instance and finds it by id, label and operation, with numbers as numbers and times as Dates', async () => {
    const values = newInstance();
    const inserted = await insertInstance(db, values);
    expect(inserted.id).toBeTypeOf('number');
    expect(inserted.price_per_hour).toBe(0.734);
    expect(inserted.gpu_count).toBe(2);
    expect(inserted.created_at).toBeInstanceOf(Date);
    expect(inserted.running_since).toBeNull();

    expect(await getInstance(db, inserted.id)).toEqual(inserted);
    expect(await findInstanceByLabel(db, values.label)).toEqual(inserted);
    expect(await findInstanceByOperation(db, values.operation_id)).toEqual(inserted);
    expect(await getInstance(db, 999_999)).toBeUndefined();
    expect(await findInstanceByLabel(db, 'no-such-label')).toBeUndefined();
  });

  it('refuses a second instance with the same label', async () => {
    const values = newInstance();
    await insertInstance(db, values);
    await expect(insertInstance(db, { ...values, operation_id: 'op-other' })).rejects.toThrow(
      /unique|duplicate/i,
    );
  });

  it('updates the given columns and stamps updated_at, and says so when the instance does not exist', async () => {
    const inserted = await insertInstance(db, newInstance());
    const runningSince = new Date('2025-01-02T03:04:05.000Z');
    const updated = await updateInstance(db, inserted.id, {
      state: 'running',
      provider_instance_id: '4242',
      ssh_host: '127.0.0.1',
      ssh_port: 2222,
      running_since: runningSince,
    });
    expect(updated).toMatchObject({ state: 'running', provider_instance_id: '4242', ssh_port: 2222 });
    expect(updated.running_since).toEqual(runningSince);
    expect(updated.updated_at.getTime()).toBeGreaterThanOrEqual(inserted.updated_at.getTime());
    expect(updated.gpu_name).toBe(inserted.gpu_name);

    const err = await updateInstance(db, 987_654, { state: 'running' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuopsError);
    expect((err as GpuopsError).code).toBe(ErrorCode.InstanceNotFound);
  });

  it("lists a channel's instances oldest first, optionally only in some states", async () => {
    const channel = uniquePrefix('chan');
    const a = await insertInstance(db, newInstance({ channel, state: 'running' }));
    const b = await insertInstance(db, newInstance({ channel, state: 'stopped' }));
    const c = await insertInstance(db, newInstance({ channel, state: 'destroyed' }));
    await insertInstance(db, newInstance({ channel: uniquePrefix('elsewhere') }));

    expect((await listInstances(db, { channel })).map((r) => r.id)).toEqual([a.id, b.id, c.id]);
    expect((await listInstances(db, { channel, states: ['running', 'stopped'] })).map((r) => r.id)).toEqual([
      a.id,
      b.id,
    ]);
    expect(await listInstances(db, { channel, states: [] })).toHaveLength(3);
  });

  it('creates an operation once: the same id again returns the first one unchanged', async () => {
    const values = newOperation();
    const first = await createOperation(db, values);
    expect(first.created).toBe(true);
    expect(first.operation).toMatchObject({ id: values.id, state: 'queued', attempts: 0, started_at: null });

    const again = await createOperation(db, {
      ...values,
      requester: 'mallory',
      args: JSON.stringify({ gpu: 'h100' }),
    });
    expect(again.created).toBe(false);
    expect(again.operation).toEqual(first.operation);
  });

  it('writes JSON columns as text and reads them back as objects', async () => {
    const { operation } = await createOperation(db, newOperation());
    expect(operation.args).toEqual({ gpu: 'rtx-4090', count: 2 });
    expect(operation.reply_to).toEqual({ surface: 'slack', channel: 'C1', thread: '171.2' });

    const updated = await updateOperation(db, operation.id, {
      step: 'renting',
      result: JSON.stringify({ instance: 'i-7', nested: { ok: true } }),
    });
    expect(updated.step).toBe('renting');
    expect(updated.result).toEqual({ instance: 'i-7', nested: { ok: true } });
  });

  it('counts attempts each time an operation starts running and keeps the first start time', async () => {
    const { operation } = await createOperation(db, newOperation());
    const first = await markOperationRunning(db, operation.id, 'starting');
    expect(first).toMatchObject({ state: 'running', step: 'starting', attempts: 1 });
    expect(first!.started_at).toBeInstanceOf(Date);

    const second = await markOperationRunning(db, operation.id, 'renting');
    expect(second).toMatchObject({ state: 'running', step: 'renting', attempts: 2 });
    expect(second!.started_at).toEqual(first!.started_at);
  });

  it('finishes an operation with its result or its error', async () => {
    const ok = await createOperation(db, newOperation());
    const succeeded = await finishOperation(db, ok.operation.id, {
      state: 'succeeded',
      result: { instance: 'i-1' },
    });
    expect(succeeded).toMatchObject({ state: 'succeeded', result: { instance: 'i-1' }, error: null });
    expect(succeeded.finished_at).toBeInstanceOf(Date);

    const bad = await createOperation(db, newOperation());
    const failed = await finishOperation(db, bad.operation.id, {
      state: 'failed',
      error: { code: 'offer_gone', message: 'The offer was taken.' },
    });
    expect(failed).toMatchObject({ state: 'failed', result: null, error: { code: 'offer_gone' } });
    expect(await getOperation(db, bad.operation.id)).toEqual(failed);

    await expect(finishOperation(db, 'op-missing', { state: 'succeeded', result: {} })).rejects.toThrow(
      /not in the database/,
    );
  });

  it("lists a channel's operations newest first", async () => {
    const channel = uniquePrefix('chan');
    const a = await createOperation(db, newOperation({ channel }));
    const b = await createOperation(db, newOperation({ channel, state: 'running' }));
    const ids = (await listOperations(db, { channel })).map((o) => o.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids)).toEqual(new Set([a.operation.id, b.operation.id]));
    expect((await listOperations(db, { channel, states: ['running'] })).map((o) => o.id)).toEqual([
      b.operation.id,
    ]);
  });

  it("never lets the reconciler's writes touch an instance an operation is working on", async () => {
    const { operation } = await createOperation(db, newOperation({ state: 'running' }));
    const renting = await insertInstanceForOperation(db, newInstance({ operation_id: operation.id }));
    expect(await getOperation(db, operation.id)).toMatchObject({ instance_id: renting.id });
    expect(await deleteUnrentedInstance(db, renting.id)).toBe(false);
    expect(await updateIdleInstance(db, renting.id, { state: 'destroyed' })).toBeUndefined();
    expect(await getInstance(db, renting.id)).toMatchObject({ state: 'provisioning' });

    await finishOperation(db, operation.id, {
      state: 'failed',
      error: { code: 'timeout', message: 'gave up' },
    });
    expect(await updateIdleInstance(db, renting.id, { provider_status: 'gone' })).toMatchObject({
      provider_status: 'gone',
    });
    expect(await deleteUnrentedInstance(db, renting.id)).toBe(true);
    expect(await getInstance(db, renting.id)).toBeUndefined();
  });

  it('links an operation to the instance it rented', async () => {
    const { operation } = await createOperation(db, newOperation());
    const instance = await insertInstance(db, newInstance({ operation_id: operation.id }));
    const linked = await updateOperation(db, operation.id, { instance_id: instance.id });
    expect(linked.instance_id).toBe(instance.id);
    await expect(updateOperation(db, operation.id, { instance_id: 999_999 })).rejects.toThrow(/foreign key/i);
  });

  it('records audit entries and lists them newest first, by target', async () => {
    const target = `i-${uniquePrefix()}`;
    const first = await recordAudit(db, {
      actor: 'alice',
      action: 'deploy',
      target,
      channel: 'team-ml',
      outcome: 'requested',
      price_per_hour: null,
      details: JSON.stringify({ operation: 'op-1' }),
    });
    expect(first.id).toBeTypeOf('string');
    expect(first.at).toBeInstanceOf(Date);
    expect(first.details).toEqual({ operation: 'op-1' });
    const second = await recordAudit(db, {
      actor: 'alice',
      action: 'deploy',
      target,
      channel: 'team-ml',
      outcome: 'ok',
      price_per_hour: 0.5,
    });
    expect(second.price_per_hour).toBe(0.5);
    expect(second.details).toBeNull();
    await recordAudit(db, {
      actor: 'bob',
      action: 'pause',
      target: 'i-other',
      channel: 'team-ml',
      outcome: 'ok',
    });

    const listed = await listAudit(db, { target, limit: 10 });
    expect(listed.map((r) => r.outcome)).toEqual(['ok', 'requested']);
    expect(await listAudit(db, { target, limit: 1 })).toHaveLength(1);
  });

  it('runs inside a transaction and leaves nothing behind when it rolls back', async () => {
    const values = newInstance();
    await expect(
      db.transaction().execute(async (trx) => {
        await insertInstance(trx, values);
        expect(await findInstanceByLabel(trx, values.label)).toBeDefined();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await findInstanceByLabel(db, values.label)).toBeUndefined();
  });
});
