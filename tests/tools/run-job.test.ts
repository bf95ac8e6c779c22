import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertInstance } from '../../db/repositories/instances.ts';
import { getJob, jobSpecOf } from '../../db/repositories/jobs.ts';
import type { Database } from '../../db/schema.ts';
import { gpuByMarketName } from '../../src/cloud/gpu-catalog.ts';
import { type Simulator, startSimulator } from '../../src/cloud/sim/index.ts';
import { VastProvider } from '../../src/cloud/vast/vast-provider.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { InstanceState } from '../../src/domain/instance-states.ts';
import type { JobRef, OperationKind, OperationRequest } from '../../src/domain/operations.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { silentLogger } from '../../src/log.ts';
import { parseRepoArg } from '../../src/tools/job-plan.ts';
import { getTool } from '../../src/tools/registry.ts';
import { runJobTool } from '../../src/tools/run-job.ts';
import type { OperationInputsIn } from '../../src/tools/schemas.ts';
import type { ToolOperations, ToolServices } from '../../src/tools/tool.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

const ctx: RequestContext = {
  user: 'alice',
  channel: 'team-ml',
  replyTo: { surface: 'test', channel: 'team-ml' },
};

/** Operation ids are unique across the suite, as the queue's are. */
let operationSeq = 0;

/** A queue that records what it is given. */
class RecordingOperations implements ToolOperations {
  readonly requests: OperationRequest<OperationInputsIn, OperationKind>[] = [];
  readonly ids: string[] = [];
  async enqueue<K extends OperationKind>(request: OperationRequest<OperationInputsIn, K>): Promise<JobRef> {
    this.requests.push(request);
    operationSeq += 1;
    this.ids.push(`op-run-job-${operationSeq}`);
    return { operationId: `op-run-job-${operationSeq}`, kind: request.kind };
  }
}

describe('run_job', () => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  let sim: Simulator;
  let provider: VastProvider;
  let operations: RecordingOperations;
  // Defaults of 3 hours and no money limit, so a request's own limits are told apart from them.
  const config: Config = loadConfig({ GPUOPS_JOB_MAX_HOURS: '3', GPUOPS_JOB_MAX_COST: '0' });
  let services: ToolServices;
  let seq = 0;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    db = database.handle.db;
    sim = await startSimulator({ timeScale: 0, offers: 2_400, seed: 18 });
    provider = new VastProvider({ baseUrl: sim.url, apiKey: 'test', timeoutMs: 5_000, retries: 1 });
  });
  afterAll(async () => {
    await sim?.close();
    await database?.cleanup();
  });
  beforeEach(() => {
    operations = new RecordingOperations();
    services = { config, db, provider, operations, log: silentLogger };
  });

  async function instance(state: InstanceState, channel = ctx.channel) {
    seq += 1;
    return insertInstance(db, {
      provider: 'sim',
      provider_instance_id: `m-run-${seq}`,
      offer_id: null,
      label: `gpuops-run-job-${seq}`,
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
      operation_id: `op-deploy-run-${seq}`,
    });
  }

  it('asks before renting, with the machine, its price, the limits and the most the job can cost', async () => {
    const args = { command: 'python train.py --epochs 3', gpu: '4090', max_hours: 2, max_cost: 5 };
    const question = await runJobTool.confirmation!(args, ctx, services);
    expect(question).toMatch(/^Run `python train\.py --epochs 3` on a new 1x RTX 4090 \(/);
    const price = Number(/at \$(\d+\.\d+)\/hr in /.exec(question!)?.[1]);
    expect(price).toBeGreaterThan(0);
    expect(question).toContain('Limits: stops after 2 h or $5.00.');
    // Two hours at the ceiling (15% above the quoted price per GPU) is under $5: that is the most.
    const ceiling = Number(/another at up to \$(\d+\.\d+)\/hr/.exec(question!)?.[1]);
    expect(ceiling).toBeGreaterThanOrEqual(price);
    const most = Number(/The most it can cost: \$(\d+\.\d+)\./.exec(question!)?.[1]);
    expect(most).toBeCloseTo(Math.min(ceiling * 2, 5), 2);
    expect(question).toContain('destroyed when the job ends');
    expect(operations.requests).toHaveLength(0);
  });

  it('once confirmed, enqueues one run_job for a job row holding the command exactly as written', async () => {
    const command = `python train.py --lr 3e-4 --name 'run "a"' && echo $HOME | tee out.txt`;
    const result = await runJobTool.run({ command, gpu: 'RTX 4090', retries: 1 }, ctx, services);
    expect(operations.requests).toHaveLength(1);
    const request = operations.requests[0]!;
    expect(request.kind).toBe('run_job');
    expect(request.instanceId).toBeUndefined();
    const jobId = (request.args as { job: number }).job;
    expect(result.text).toMatch(new RegExp(`^j-${jobId} queued: `));
    expect(result.text).toContain('destroyed when the job ends');
    const operationId = operations.ids[0]!;
    expect(result.job).toEqual({ operationId, kind: 'run_job' });
    const row = (await getJob(db, jobId))!;
    expect(row).toMatchObject({
      owner: 'alice',
      channel: 'team-ml',
      state: 'queued',
      operation_id: operationId,
    });
    const spec = jobSpecOf(row);
    expect(spec.command).toBe(command);
    expect(spec.retries).toBe(1);
    expect(spec.target).toMatchObject({
      kind: 'rent',
      gpu: 'rtx-4090',
      count: 1,
      image: config.defaultImage,
    });
    expect(spec.target.kind === 'rent' && spec.target.offer_id).toBeGreaterThan(0);
  });

  it('writes the default limits from settings into the spec when the request names none', async () => {
    const result = await runJobTool.run({ command: 'bash eval.sh', gpu: '3090' }, ctx, services);
    const spec = jobSpecOf((await getJob(db, jobIdOf(operations)))!);
    expect(spec.limits).toEqual({ max_seconds: 3 * 3600 });
    expect(result.text).toContain('stops after 3 h');
    const unlimited: Config = { ...config, jobs: { ...config.jobs, maxHours: 0, maxCost: 0 } };
    const question = await runJobTool.confirmation!({ command: 'bash eval.sh', gpu: '3090' }, ctx, {
      ...services,
      config: unlimited,
    });
    expect(question).toContain(
      'Limits: no time or money limit. With no limit it bills until the command ends.',
    );
  });

  it('rents the cheapest offer with the memory asked for when no GPU is named', async () => {
    const result = await runJobTool.run(
      { command: 'python train.py', min_gpu_ram_gb: 24, max_hours: 2, max_cost: 5 },
      ctx,
      services,
    );
    const offers = await provider.searchOffers({
      minGpuRamGb: 24,
      numGpus: 1,
      diskGb: config.defaultDiskGb,
      maxPricePerHour: config.maxPricePerHour,
      order: 'price',
      limit: 1_000,
    });
    const cheapest = offers
      .filter((o) => gpuByMarketName(o.gpuName))
      .reduce((a, b) => (b.pricePerHour < a.pricePerHour ? b : a));
    expect(cheapest.gpuRamGb).toBeGreaterThanOrEqual(24);
    const spec = jobSpecOf((await getJob(db, jobIdOf(operations)))!);
    expect(spec.target).toMatchObject({
      kind: 'rent',
      gpu: gpuByMarketName(cheapest.gpuName)!.id,
      count: 1,
      offer_id: cheapest.id,
    });
    expect(spec.limits).toEqual({ max_seconds: 7200, max_cost: 5 });
    expect(result.text).toContain(`(offer ${cheapest.id})`);
  });

  it('reads repositories exactly as written, and refuses what it cannot read', () => {
    expect(parseRepoArg('github.com/org/repo@main')).toEqual({
      url: 'https://github.com/org/repo',
      ref: 'main',
    });
    expect(parseRepoArg('https://github.com/org/repo')).toEqual({ url: 'https://github.com/org/repo' });
    expect(parseRepoArg('https://gitlab.com/team/sub/repo.git@v1.2')).toEqual({
      url: 'https://gitlab.com/team/sub/repo.git',
      ref: 'v1.2',
    });
    expect(parseRepoArg('git@github.com:org/repo.git@feature/x')).toEqual({
      url: 'git@github.com:org/repo.git',
      ref: 'feature/x',
    });
    for (const bad of [
      'org/repo',
      'http://github.com/org/repo',
      'github.com/org/repo@',
      'github.com/org/repo@main@dev',
      'https://github.com/org/repo/tree/main',
      'github.com/org/my repo',
      'ftp://example.com/org/repo',
      'https://github.com/org/repo@main;rm',
    ]) {
      expect(() => parseRepoArg(bad), bad).toThrow(expect.objectContaining({ code: 'bad_input' }));
    }
  });

  it('puts the repository in the spec, and refuses an unreadable one before anything is asked or rented', async () => {
    await runJobTool.run(
      { command: 'python train.py', repo: 'github.com/org/repo@main', gpu: 'A100', count: 2 },
      ctx,
      services,
    );
    const spec = jobSpecOf((await getJob(db, jobIdOf(operations)))!);
    expect(spec.repo).toEqual({ url: 'https://github.com/org/repo', ref: 'main' });
    expect(spec.target).toMatchObject({ kind: 'rent', gpu: 'a100-40gb', count: 2 });

    await expect(
      runJobTool.confirmation!({ command: 'python train.py', repo: 'org/repo', gpu: '4090' }, ctx, services),
    ).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('"org/repo"') });
    expect(operations.requests).toHaveLength(1);
  });

  it('runs on a running instance of the channel without asking, and leaves it running', async () => {
    const row = await instance('running');
    const args = { command: 'bash eval.sh', instance: `i-${row.id}` };
    expect(await runJobTool.confirmation!(args, ctx, services)).toBeNull();
    const result = await runJobTool.run(args, ctx, services);
    expect(operations.requests).toHaveLength(1);
    expect(operations.requests[0]).toMatchObject({ kind: 'run_job', instanceId: row.id });
    const spec = jobSpecOf((await getJob(db, jobIdOf(operations)))!);
    expect(spec.target).toEqual({ kind: 'instance', instance_id: row.id });
    expect(result.text).toContain(`on i-${row.id} (1x RTX 4090, $0.400/hr), left running after`);
  });

  it("refuses a stopped instance, another channel's, and one named beside a GPU", async () => {
    const stopped = await instance('stopped');
    await expect(
      runJobTool.confirmation!({ command: 'bash eval.sh', instance: `i-${stopped.id}` }, ctx, services),
    ).rejects.toMatchObject({
      code: 'invalid_state',
      message: expect.stringContaining(
        `i-${stopped.id} is stopped; a job runs on an instance only while it is running`,
      ),
    });
    const theirs = await instance('running', 'team-other');
    await expect(
      runJobTool.run({ command: 'bash eval.sh', instance: `i-${theirs.id}` }, ctx, services),
    ).rejects.toMatchObject({ code: 'instance_not_yours' });
    const mine = await instance('running');
    await expect(
      runJobTool.run({ command: 'bash eval.sh', instance: `i-${mine.id}`, gpu: '4090' }, ctx, services),
    ).rejects.toMatchObject({ code: 'bad_input' });
    expect(operations.requests).toHaveLength(0);
  });

  it('refuses an unknown GPU, an impossible offer, a request with no machine, and bad numbers', async () => {
    await expect(runJobTool.run({ command: 'x', gpu: 'RTX 9999' }, ctx, services)).rejects.toMatchObject({
      code: 'unknown_gpu',
    });
    await expect(
      runJobTool.run({ command: 'x', gpu: 'H100 SXM', max_price_per_gpu_hour: 0.01 }, ctx, services),
    ).rejects.toMatchObject({
      code: 'no_matching_offer',
      message: expect.stringMatching(
        /^No offer matches 1x H100 [\w ]*SXM under \$0\.010\/hr per GPU .*nothing was rented\. The cheapest/,
      ),
    });
    await expect(runJobTool.run({ command: 'x' }, ctx, services)).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('Which machine should the job run on?'),
    });
    const tool = getTool('run_job')!;
    for (const bad of [
      { command: 'x', gpu: '4090', max_hours: 0 },
      { command: 'x', gpu: '4090', max_cost: -5 },
      { command: 'x', gpu: '4090', max_price_per_gpu_hour: 0 },
      { command: '', gpu: '4090' },
      { command: 'x', instance: '3' },
      { command: 'x', gpu: '4090', inputs: [{ source: 'ftp://a/b', path: 'data/x' }] },
      { command: 'x', gpu: '4090', inputs: [{ source: 's3://bucket/key', path: '../etc/passwd' }] },
    ]) {
      await expect(tool.run(bad, ctx, services), JSON.stringify(bad)).rejects.toMatchObject({
        code: 'bad_input',
      });
    }
    expect(operations.requests).toHaveLength(0);
  });

  it('ends the job at once when its operation cannot be queued', async () => {
    const failing: ToolOperations = {
      enqueue: () => Promise.reject(new Error('queue down')),
    };
    await expect(
      runJobTool.run({ command: 'bash eval.sh', gpu: '4090' }, ctx, { ...services, operations: failing }),
    ).rejects.toThrow('queue down');
    const newest = await db.selectFrom('jobs').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(newest).toMatchObject({
      state: 'failed',
      end_message: expect.stringContaining('could not be queued'),
    });
  });
});

function jobIdOf(operations: RecordingOperations): number {
  const last = operations.requests.at(-1);
  if (!last) throw new Error('nothing was enqueued');
  return (last.args as { job: number }).job;
}
