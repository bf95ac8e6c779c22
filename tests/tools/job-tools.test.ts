import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertInstance } from '../../db/repositories/instances.ts';
import {
  createJob,
  finishJob,
  getJob,
  jobSpecOf,
  setJobOperation,
  updateJob,
} from '../../db/repositories/jobs.ts';
import { createOperation, getOperation } from '../../db/repositories/operations.ts';
import type { Database, JobRow } from '../../db/schema.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { VastProvider } from '../../src/cloud/vast/vast-provider.ts';
import { loadConfig } from '../../src/config.ts';
import type { InstanceState } from '../../src/domain/instance-states.ts';
import type { JobSpecIn } from '../../src/domain/jobs.ts';
import { jobSpecSchema } from '../../src/domain/jobs.ts';
import type { JobRef, OperationKind, OperationRequest } from '../../src/domain/operations.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { silentLogger } from '../../src/log.ts';
import { getTool } from '../../src/tools/registry.ts';
import type { OperationInputsIn, ToolName } from '../../src/tools/schemas.ts';
import type { ToolOperations, ToolServices } from '../../src/tools/tool.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

const alice: RequestContext = {
  user: 'alice',
  channel: 'team-ml',
  replyTo: { surface: 'test', channel: 'team-ml' },
};
const bob: RequestContext = { ...alice, user: 'bob' };
const elsewhere: RequestContext = {
  ...alice,
  channel: 'team-other',
  replyTo: { surface: 'test', channel: 'team-other' },
};

let operationSeq = 0;
class RecordingOperations implements ToolOperations {
  readonly requests: OperationRequest<OperationInputsIn, OperationKind>[] = [];
  async enqueue<K extends OperationKind>(request: OperationRequest<OperationInputsIn, K>): Promise<JobRef> {
    this.requests.push(request);
    operationSeq += 1;
    return { operationId: `op-job-tools-${operationSeq}`, kind: request.kind };
  }
}

const RENT_4090: JobSpecIn['target'] = {
  kind: 'rent',
  gpu: 'rtx-4090',
  count: 1,
  image: 'pytorch/pytorch:latest',
  disk_gb: 40,
  max_price_per_gpu_hour: 0.6,
};

describe('the job tools that read, cancel and rerun jobs', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let sim: Simulator;
  let operations: RecordingOperations;
  let services: ToolServices;
  let seq = 0;
  const config = loadConfig({});

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    db = database.handle.db;
    sim = await startSimulator({ timeScale: 0, offers: 2_400, seed: 4 });
  });
  afterAll(async () => {
    await sim?.close();
    await database?.cleanup();
  });
  beforeEach(() => {
    operations = new RecordingOperations();
    const provider = new VastProvider({ baseUrl: sim.url, apiKey: 'test', timeoutMs: 5_000, retries: 1 });
    services = { config, db, provider, operations, log: silentLogger };
  });

  const call = (tool: ToolName, args: unknown, ctx: RequestContext = alice) =>
    getTool(tool)!.run(args, ctx, services);

  async function instance(state: InstanceState = 'running', channel = alice.channel) {
    seq += 1;
    return insertInstance(db, {
      provider: 'sim',
      provider_instance_id: `m-job-tools-${seq}`,
      offer_id: null,
      label: `gpuops-job-tools-${seq}`,
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
      channel,
      operation_id: `op-deploy-job-tools-${seq}`,
    });
  }

  async function job(
    values: {
      ctx?: RequestContext;
      command?: string;
      target?: JobSpecIn['target'];
      limits?: JobSpecIn['limits'];
    } = {},
  ): Promise<JobRow> {
    const ctx = values.ctx ?? alice;
    return createJob(db, {
      owner: ctx.user,
      channel: ctx.channel,
      spec: jobSpecSchema.parse({
        command: values.command ?? 'python train.py --epochs 3',
        target: values.target ?? RENT_4090,
        limits: values.limits ?? { max_seconds: 7200, max_cost: 5 },
      }),
    });
  }

  /** A job with its run_job operation queued, as run_job leaves it. */
  async function queuedJob(target: JobSpecIn['target'] = RENT_4090): Promise<JobRow> {
    const row = await job({ target });
    seq += 1;
    const id = `op-queued-job-${seq}`;
    await createOperation(db, {
      id,
      kind: 'run_job',
      args: JSON.stringify({ job: row.id }),
      requester: 'alice',
      channel: alice.channel,
      reply_to: JSON.stringify(alice.replyTo),
      state: 'queued',
      instance_id: target.kind === 'instance' ? target.instance_id : null,
      step: null,
    });
    return setJobOperation(db, row.id, id);
  }

  async function running(row: JobRow, minutesAgo: number, cost = 0): Promise<JobRow> {
    const machine = await instance('running');
    return updateJob(db, row.id, {
      state: 'running',
      started_at: new Date(Date.now() - minutesAgo * 60_000),
      attempt: 1,
      instance_id: machine.id,
      instance_ids: JSON.stringify([machine.id]),
      attempt_started_at: new Date(Date.now() - minutesAgo * 60_000),
      cost,
    });
  }

  describe('job_logs', () => {
    it('shows the last lines kept, 20 unless asked, and says where the whole log is', async () => {
      const row = await job();
      const lines = Array.from({ length: 30 }, (_, i) => `step ${i + 1}: loss ${(2 - i / 20).toFixed(2)}`);
      await updateJob(db, row.id, { state: 'running', log_tail: `${lines.join('\n')}\n`, log_bytes: 4096 });
      const shown = await call('job_logs', { job: `j-${row.id}` });
      expect(shown.text).toMatch(new RegExp(`^Last 20 lines of j-${row.id} \\(running\\):`));
      expect(shown.text).toContain('step 11: loss 1.50\n');
      expect(shown.text).not.toContain('step 10:');
      expect(shown.text).toContain(`The whole log: \`gpuops jobs logs j-${row.id}\`.`);
      const five = await call('job_logs', { job: `j-${row.id}`, lines: 5 });
      expect(five.data).toMatchObject({ lines: lines.slice(-5) });
    });

    it('says when a job has printed nothing yet', async () => {
      const row = await job();
      const shown = await call('job_logs', { job: `j-${row.id}` });
      expect(shown.text).toBe(
        `j-${row.id} is queued; its command has not printed anything yet. The whole log: \`gpuops jobs logs j-${row.id}\`.`,
      );
    });

    it('refuses more than 200 lines', async () => {
      const row = await job();
      await expect(call('job_logs', { job: `j-${row.id}`, lines: 500 })).rejects.toMatchObject({
        code: 'bad_input',
      });
    });
  });

  describe('list_jobs', () => {
    it("lists the requester's jobs in this channel, newest first, with state, command, machine, cost and age", async () => {
      // A channel of its own, so the other tests' jobs stay out of the list.
      const here: RequestContext = { ...alice, channel: 'team-list' };
      const first = await job({ ctx: here, command: 'bash eval.sh' });
      await finishJob(db, first.id, { state: 'succeeded', exit_code: 0, cost: 1.25 });
      const second = await job({
        ctx: here,
        command: 'python train.py --a-rather-long-argument-list --that-goes-on --and-on',
      });
      await job({ ctx: { ...here, user: 'bob' }, command: 'bob-only.sh' });
      await job({ ctx: { ...here, channel: 'team-other' }, command: 'elsewhere.sh' });

      const all = await call('list_jobs', {}, here);
      expect(all.text).toMatch(/^2 jobs of yours:/);
      const rows = all.text.split('\n').filter((line) => /^j-\d+ /.test(line));
      expect(rows.map((line) => line.split(/\s+/)[0])).toEqual([`j-${second.id}`, `j-${first.id}`]);
      expect(rows[0]).toContain('queued');
      expect(rows[0]).toContain('python train.py --a-rather-long-argumen…');
      expect(rows[0]).toContain('1x RTX 4090');
      expect(rows[1]).toMatch(/succeeded\s+bash eval\.sh\s+1x RTX 4090\s+\$1\.25/);
      expect(all.text).not.toContain('bob-only');
      expect(all.text).not.toContain('elsewhere');

      const active = await call('list_jobs', { state: 'active' }, here);
      expect((active.data as { jobs: Array<{ job: string }> }).jobs.map((j) => j.job)).toEqual([
        `j-${second.id}`,
      ]);
      const none = await call('list_jobs', { state: 'ended' }, { ...here, user: 'carol' });
      expect(none.text).toMatch(/^You have no ended jobs in this channel\./);
    });
  });

  describe('job_status', () => {
    it('shows a running job: machine, elapsed time, cost so far with the current machine, limits and attempts', async () => {
      const row = await running(await job(), 30, 0.1);
      const status = await call('job_status', { job: `j-${row.id}` });
      expect(status.text).toMatch(new RegExp(`^j-${row.id}: running, started by alice\\.`));
      expect(status.text).toContain('Command: `python train.py --epochs 3`');
      expect(status.text).toContain(
        `Machine: i-${row.instance_id} (1x RTX 4090, $0.400/hr), rented for the job.`,
      );
      // $0.10 from an earlier attempt and half an hour at $0.40.
      expect(status.text).toMatch(/Elapsed: 30 min; cost so far \$0\.300; stops after 2 h or \$5\.00\./);
      expect(status.text).toContain('Attempt 1 of 1.');
      expect((status.data as { cost: number }).cost).toBeCloseTo(0.3, 2);
    });

    it('shows an ended job with its exit status, end message and artifacts with sizes', async () => {
      const row = await running(await job(), 90);
      await finishJob(db, row.id, {
        state: 'failed',
        exit_code: 3,
        end_message: 'python train.py exited with status 3: CUDA out of memory',
        cost: 0.62,
        artifacts: JSON.stringify([
          { path: 'checkpoint-100/adapter_model.safetensors', bytes: 12_500_000, sha256: 'a'.repeat(64) },
          { path: 'trainer_state.json', bytes: 2_048, sha256: 'b'.repeat(64) },
        ]),
      });
      const status = await call('job_status', { job: `j-${row.id}` });
      expect(status.text).toContain(`j-${row.id}: failed`);
      expect(status.text).toMatch(/Ran: 1 h 30 min; cost \$0\.620;/);
      expect(status.text).toContain(
        'Ended with exit status 3: python train.py exited with status 3: CUDA out of memory',
      );
      expect(status.text).toContain(
        `Artifacts (2, 12.5 MB); \`gpuops jobs artifacts j-${row.id} --out DIR\` downloads them:`,
      );
      expect(status.text).toContain('  checkpoint-100/adapter_model.safetensors  12.5 MB');
      expect(status.text).toContain('  trainer_state.json  2.05 kB');
    });
  });

  describe('cancel_job', () => {
    it('ends a job whose operation is still queued at once', async () => {
      const row = await queuedJob();
      const answer = await call('cancel_job', { job: `j-${row.id}` }, bob);
      expect(answer.text).toBe(
        `j-${row.id} was cancelled before it started; nothing ran and nothing was rented.`,
      );
      expect(await getJob(db, row.id)).toMatchObject({
        state: 'cancelled',
        cancel_requested_by: 'bob',
        end_message: expect.stringContaining('cancelled by bob before it started'),
      });
    });

    it("cancels a queued job's queued operation on an instance with it", async () => {
      const machine = await instance('running');
      const row = await queuedJob({ kind: 'instance', instance_id: machine.id });
      await call('cancel_job', { job: `j-${row.id}` });
      expect(await getJob(db, row.id)).toMatchObject({ state: 'cancelled' });
      expect(await getOperation(db, row.operation_id!)).toMatchObject({
        state: 'failed',
        error: { code: 'cancelled', message: expect.stringContaining('cancelled by alice') },
      });
    });

    it('asks a running job to stop and says its machine is released', async () => {
      const row = await running(await queuedJob(), 5);
      const answer = await call('cancel_job', { job: `j-${row.id}` });
      expect(answer.text).toContain(`Asked j-${row.id} to stop`);
      expect(answer.text).toContain('its rented machine is destroyed within a few seconds');
      const after = (await getJob(db, row.id))!;
      expect(after.state).toBe('running');
      expect(after.cancel_requested_at).toBeInstanceOf(Date);
      expect(after.cancel_requested_by).toBe('alice');
    });

    it('says there is nothing to cancel on an ended job', async () => {
      const row = await job();
      await finishJob(db, row.id, { state: 'succeeded', exit_code: 0 });
      const answer = await call('cancel_job', { job: `j-${row.id}` });
      expect(answer.text).toBe(`j-${row.id} has already ended (succeeded); there is nothing to cancel.`);
    });
  });

  describe('rerun_job', () => {
    it('reruns a job on another GPU as a new job, asking first with the price and limits', async () => {
      const old = await job({ command: `python train.py --seed 7 && echo "done"` });
      await finishJob(db, old.id, { state: 'failed', exit_code: 1 });
      const question = await getTool('rerun_job')!.confirmation!(
        { job: `j-${old.id}`, gpu: 'H100' },
        alice,
        services,
      );
      expect(question).toMatch(
        /^Run `python train\.py --seed 7 && echo "done"` again \(a rerun of j-\d+\) on a new 1x H100/,
      );
      expect(question).toContain('Limits: stops after 2 h or $5.00.');
      const result = await call('rerun_job', { job: `j-${old.id}`, gpu: 'H100' });
      expect(operations.requests).toHaveLength(1);
      const fresh = (await getJob(db, (operations.requests[0]!.args as { job: number }).job))!;
      expect(result.text).toMatch(new RegExp(`^j-${fresh.id} queued, a rerun of j-${old.id}: `));
      expect(fresh.rerun_of).toBe(old.id);
      const spec = jobSpecOf(fresh);
      expect(spec.command).toBe(`python train.py --seed 7 && echo "done"`);
      expect(spec.limits).toEqual({ max_seconds: 7200, max_cost: 5 });
      expect(spec.target).toMatchObject({ kind: 'rent', gpu: 'h100-pcie', count: 1 });
    });

    it('reruns on an instance of the channel without asking', async () => {
      const old = await job();
      const machine = await instance('running');
      const tool = getTool('rerun_job')!;
      expect(
        await tool.confirmation!({ job: `j-${old.id}`, instance: `i-${machine.id}` }, alice, services),
      ).toBeNull();
      await call('rerun_job', { job: `j-${old.id}`, instance: `i-${machine.id}` });
      expect(operations.requests[0]).toMatchObject({ kind: 'run_job', instanceId: machine.id });
    });
  });

  it("treats another channel's job as one that does not exist, and refuses ids that are not job ids", async () => {
    const theirs = await job({ ctx: elsewhere });
    for (const tool of ['job_logs', 'job_status', 'cancel_job', 'rerun_job'] as const) {
      await expect(call(tool, { job: `j-${theirs.id}` }), tool).rejects.toMatchObject({
        code: 'job_not_found',
        message: `There is no job j-${theirs.id} in this channel; say "list my jobs" to see them.`,
      });
      for (const bad of ['4', 'j4', 'job-4', 'j-', 'i-4']) {
        await expect(call(tool, { job: bad }), `${tool} ${bad}`).rejects.toMatchObject({ code: 'bad_input' });
      }
    }
    expect((await getJob(db, theirs.id))!.cancel_requested_at).toBeNull();
    expect(operations.requests).toHaveLength(0);
  });
});
