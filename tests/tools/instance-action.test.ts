import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertInstance } from '../../db/repositories/instances.ts';
import { createOperation } from '../../db/repositories/operations.ts';
import type { Database } from '../../db/schema.ts';
import type { GpuProvider } from '../../src/cloud/provider.ts';
import type { InstanceState } from '../../src/domain/instance-states.ts';
import type { JobRef, OperationKind, OperationRequest } from '../../src/domain/operations.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { instanceAction } from '../../src/tools/instance-action.ts';
import type { OperationInputsIn } from '../../src/tools/schemas.ts';
import type { ToolOperations } from '../../src/tools/tool.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

const ctx: RequestContext = {
  user: 'alice',
  channel: 'team-ml',
  replyTo: { surface: 'test', channel: 'team-ml' },
};

/** Instances here are in settled states, so the provider is never asked where a machine is. */
const unasked = (): Promise<never> => Promise.reject(new Error('the provider was asked'));
const provider: GpuProvider = {
  name: 'unasked',
  account: unasked,
  searchOffers: unasked,
  createInstance: unasked,
  getInstance: unasked,
  listInstances: unasked,
  startInstance: unasked,
  stopInstance: unasked,
  destroyInstance: unasked,
  registerSshKey: unasked,
};

/** A queue that records what it is given. */
class RecordingOperations implements ToolOperations {
  readonly requests: OperationRequest<OperationInputsIn, OperationKind>[] = [];
  async enqueue<K extends OperationKind>(request: OperationRequest<OperationInputsIn, K>): Promise<JobRef> {
    this.requests.push(request);
    return { operationId: `op-${this.requests.length}`, kind: request.kind };
  }
}

const hibernating = instanceAction({
  from: ['running', 'stopped'],
  refusal: (ref, state) => `${ref} is ${state}; only a running or paused instance can hibernate.`,
  supersedes: ['pause'],
});

describe('an action on one instance', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let seq = 0;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    db = database.handle.db;
  });
  afterAll(() => database?.cleanup());

  async function instance(state: InstanceState) {
    seq += 1;
    return insertInstance(db, {
      provider: 'sim',
      provider_instance_id: `m-${seq}`,
      offer_id: null,
      label: `gpuops-test-${seq}`,
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      price_per_hour: 0.4,
      state,
      provider_status: null,
      image: 'pytorch/pytorch:latest',
      disk_gb: 50,
      location: null,
      ssh_host: null,
      ssh_port: null,
      owner: 'alice',
      channel: ctx.channel,
      operation_id: `op-deploy-${seq}`,
    });
  }

  async function queued(kind: OperationKind, instanceId: number) {
    seq += 1;
    await createOperation(db, {
      id: `op-queued-${seq}`,
      kind,
      args: JSON.stringify({ instance: `i-${instanceId}` }),
      requester: 'alice',
      channel: ctx.channel,
      reply_to: JSON.stringify(ctx.replyTo),
      state: 'queued',
      instance_id: instanceId,
      step: null,
    });
  }

  it('refuses an instance in a state it does not start from with its own words', async () => {
    const row = await instance('failed');
    await expect(hibernating.load({ db, provider }, `i-${row.id}`, ctx)).rejects.toMatchObject({
      code: 'invalid_state',
      message: `i-${row.id} is failed; only a running or paused instance can hibernate.`,
    });
  });

  it('refuses a busy instance with what is under way before judging its state', async () => {
    const row = await instance('hibernated');
    await queued('failover', row.id);
    await expect(hibernating.load({ db, provider }, `i-${row.id}`, ctx)).rejects.toMatchObject({
      code: 'operation_in_flight',
    });
  });

  it('lets a queued operation it supersedes give way, and answers with the operation it enqueued', async () => {
    const row = await instance('running');
    await queued('pause', row.id);
    const loaded = await hibernating.load({ db, provider }, `i-${row.id}`, ctx);
    const operations = new RecordingOperations();
    const result = await hibernating.start({ operations }, ctx, loaded, {
      kind: 'hibernate',
      args: { instance: `i-${row.id}`, reason: 'requested' },
      answer: `Hibernating i-${row.id}.`,
      data: { reason: 'requested' },
    });
    expect(operations.requests).toEqual([
      {
        kind: 'hibernate',
        args: { instance: `i-${row.id}`, reason: 'requested' },
        context: ctx,
        instanceId: row.id,
        supersedes: ['pause'],
      },
    ]);
    expect(result).toEqual({
      text: `Hibernating i-${row.id}. Operation op-1.`,
      data: { operation: 'op-1', instance: `i-${row.id}`, reason: 'requested' },
      job: { operationId: 'op-1', kind: 'hibernate' },
    });
  });
});
