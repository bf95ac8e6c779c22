import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getInstance } from '../../db/repositories/instances.ts';
import {
  createJob,
  getJob,
  requestJobCancel,
  setJobOperation,
  updateJob,
} from '../../db/repositories/jobs.ts';
import { getOperation } from '../../db/repositories/operations.ts';
import type { JobRow, OperationRow } from '../../db/schema.ts';
import { downloadArtifacts } from '../../src/cloud/jobs/job-artifacts.ts';
import { readJobLog } from '../../src/cloud/jobs/job-log.ts';
import { failHost, getSimState, resetFailures } from '../../src/cloud/sim/admin-client.ts';
import type { JobSpecIn } from '../../src/domain/jobs.ts';
import { jobSpecSchema } from '../../src/domain/jobs.ts';
import { startTestGpuops, type TestGpuops } from '../support/gpuops-harness.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Jobs end to end against the simulator: the command runs on a rented machine over SSH, its log
 * and output are kept in storage, and whatever the end, nothing of the job is left billing.
 */
describe('jobs', () => {
  let g: TestGpuops;

  beforeAll(async () => {
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      env: {
        GPUOPS_HEALTH_INTERVAL_MS: '0',
        GPUOPS_JOB_POLL_MS: '200',
        GPUOPS_JOB_OUTPUT_SYNC_MS: '1000',
        GPUOPS_JOB_UNREACHABLE_MS: '5000',
      },
    });
  });
  afterEach(async () => {
    await resetFailures(g.sim);
  });
  afterAll(async () => {
    await g?.close();
  });

  const rent4090 = {
    kind: 'rent',
    gpu: 'rtx-4090',
    count: 1,
    image: 'pytorch/pytorch:latest',
    disk_gb: 20,
  } as const;

  /** Creates the job and queues it, as the run_job tool does. */
  async function startJob(spec: Omit<JobSpecIn, 'target'> & { target?: JobSpecIn['target'] }) {
    const db = g.runtime.database.db;
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({ target: rent4090, ...spec }),
    });
    const ref = await g.runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
      ...(spec.target?.kind === 'instance' && { instanceId: spec.target.instance_id }),
    });
    await setJobOperation(db, job.id, ref.operationId);
    return { jobId: job.id, operationId: ref.operationId };
  }

  async function ended(
    operationId: string,
    jobId: number,
  ): Promise<{ operation: OperationRow; job: JobRow }> {
    const db = g.runtime.database.db;
    const operation = await waitFor(
      async () => {
        const op = await getOperation(db, operationId);
        return op && (op.state === 'succeeded' || op.state === 'failed') ? op : undefined;
      },
      { timeoutMs: 90_000, what: `job operation ${operationId} to end` },
    );
    return { operation, job: (await getJob(db, jobId))! };
  }

  async function wholeLog(jobId: number): Promise<string> {
    const chunks: Buffer[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    const store = await g.workerServices().snapshots!.store();
    await readJobLog(store, jobId, out);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Machines the job's operation rented that the simulator still has (billing running or disk). */
  async function stillBilling(operationId: string): Promise<string[]> {
    const sim = await getSimState(g.sim);
    return sim.instances
      .filter((i) => !i.destroyed && (i.label ?? '').startsWith(`gpuops-${operationId}`))
      .map((i) => `${i.id} (${i.label})`);
  }

  it('runs a command, streams its log to storage and keeps its output byte for byte; the machine is released', async () => {
    const command = [
      'echo "training started"',
      'head -c 300000 /dev/urandom > "$GPUOPS_OUTPUT/model.bin"',
      'mkdir -p "$GPUOPS_OUTPUT/logs" && printf "loss 0.5\\nloss 0.25\\n" > "$GPUOPS_OUTPUT/logs/loss.txt"',
      'for i in 1 2 3; do echo "step $i"; sleep 0.2; done',
      'sha256sum "$GPUOPS_OUTPUT/model.bin"',
    ].join('\n');
    const { jobId, operationId } = await startJob({ command });
    const { operation, job } = await ended(operationId, jobId);
    expect(operation.state, JSON.stringify(operation.error)).toBe('succeeded');
    expect(job).toMatchObject({ state: 'succeeded', exit_code: 0 });
    expect(operation.result).toMatchObject({ job: `j-${jobId}` });
    expect(job.end_message).toMatch(/Kept 2 artifacts/);

    const log = await wholeLog(jobId);
    expect(log).toMatch(/training started\nstep 1\nstep 2\nstep 3\n/);
    const printed = /([0-9a-f]{64}) {2}/.exec(log)?.[1];
    expect(printed).toBeDefined();

    const out = await mkdtemp(path.join(tmpdir(), 'gpuops-artifacts-'));
    try {
      const store = await g.workerServices().snapshots!.store();
      const got = await downloadArtifacts(store, jobId, out);
      expect(got.files).toBe(2);
      const model = await readFile(path.join(out, 'model.bin'));
      expect(model.length).toBe(300_000);
      expect(createHash('sha256').update(model).digest('hex')).toBe(printed);
      expect(await readFile(path.join(out, 'logs/loss.txt'), 'utf8')).toBe('loss 0.5\nloss 0.25\n');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    expect(job.artifacts?.map((a) => a.path).sort()).toEqual(['logs/loss.txt', 'model.bin']);
    expect(await stillBilling(operationId)).toEqual([]);
    const machine = (await getInstance(g.runtime.database.db, job.instance_id!))!;
    expect(machine.state).toBe('destroyed');
  }, 120_000);

  it('reports a failing command with its exit status and last lines, and releases its machine', async () => {
    const { jobId, operationId } = await startJob({
      command: 'echo "loading data"\necho "boom: no such file" >&2\nexit 3',
    });
    const { operation, job } = await ended(operationId, jobId);
    expect(operation.state).toBe('failed');
    expect(operation.error?.code).toBe('job_failed');
    expect(operation.error?.message).toMatch(/exit status 3/);
    expect(operation.error?.message).toMatch(/boom: no such file/);
    expect(job).toMatchObject({ state: 'failed', exit_code: 3 });
    expect(await stillBilling(operationId)).toEqual([]);
  }, 120_000);

  it('stops a job at its time limit, keeps what it wrote so far and says which limit ended it', async () => {
    const { jobId, operationId } = await startJob({
      command: 'echo partial > "$GPUOPS_OUTPUT/partial.txt"\nwhile true; do echo tick; sleep 0.3; done',
      limits: { max_seconds: 4 },
    });
    const { operation, job } = await ended(operationId, jobId);
    expect(operation.error?.code).toBe('job_timed_out');
    expect(operation.error?.message).toMatch(/time limit/);
    expect(job.state).toBe('timed_out');
    expect(job.artifacts?.map((a) => a.path)).toEqual(['partial.txt']);
    expect(await stillBilling(operationId)).toEqual([]);
  }, 120_000);

  it('stops a job at its money limit', async () => {
    const { jobId, operationId } = await startJob({
      command: 'while true; do echo tick; sleep 0.3; done',
      limits: { max_cost: 0.0005 },
    });
    const { operation, job } = await ended(operationId, jobId);
    expect(operation.error?.code).toBe('job_over_budget');
    expect(operation.error?.message).toMatch(/money limit of \$0\.0005|money limit/);
    expect(job.state).toBe('over_budget');
    expect(job.cost).toBeGreaterThanOrEqual(0.0005);
    expect(await stillBilling(operationId)).toEqual([]);
  }, 120_000);

  it('cancels a running job: the command stops, its output so far is kept, the machine is released', async () => {
    const { jobId, operationId } = await startJob({
      command: 'echo started > "$GPUOPS_OUTPUT/started.txt"\necho started\nwhile true; do sleep 0.2; done',
    });
    const db = g.runtime.database.db;
    await waitFor(async () => ((await getJob(db, jobId))?.log_tail ?? '').includes('started'), {
      timeoutMs: 60_000,
      what: 'the command to start',
    });
    await requestJobCancel(db, jobId, 'bob');
    const { operation, job } = await ended(operationId, jobId);
    expect(operation.error?.code).toBe('cancelled');
    expect(operation.error?.message).toMatch(/cancelled by bob/);
    expect(job.state).toBe('cancelled');
    expect(job.artifacts?.map((a) => a.path)).toEqual(['started.txt']);
    expect(await stillBilling(operationId)).toEqual([]);
  }, 120_000);

  it('runs on an existing instance and leaves it running', async () => {
    const id = await g.deploy('deploy a 4090');
    await g.ssh(id, 'echo "hello from the workspace" > notes.txt');
    const { jobId, operationId } = await startJob({
      command: 'cat notes.txt',
      target: { kind: 'instance', instance_id: id },
    });
    const { operation, job } = await ended(operationId, jobId);
    expect(operation.state, JSON.stringify(operation.error)).toBe('succeeded');
    expect(job.instance_id).toBe(id);
    expect(await wholeLog(jobId)).toMatch(/hello from the workspace/);
    expect((await getInstance(g.runtime.database.db, id))!.state).toBe('running');
    expect((await g.follow(`destroy i-${id}`, { confirm: true })).state).toBe('succeeded');
  }, 120_000);

  it('finishes the ending an earlier worker decided without running or renting anything again', async () => {
    const db = g.runtime.database.db;
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({ command: 'echo never', target: rent4090, retries: 2 }),
    });
    // The worker died after deciding the end and releasing the machine, before writing the end.
    await updateJob(db, job.id, {
      state: 'running',
      attempt: 1,
      run_id: `j-${job.id}-a1`,
      started_at: new Date(),
      ending: JSON.stringify({ kind: 'exited', code: 0, phase: 'command' }),
    });
    const ref = await g.runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
    });
    await setJobOperation(db, job.id, ref.operationId);
    const { operation, job: finished } = await ended(ref.operationId, job.id);
    expect(operation.state, JSON.stringify(operation.error)).toBe('succeeded');
    expect(finished).toMatchObject({ state: 'succeeded', exit_code: 0, attempt: 1 });
    const sim = await getSimState(g.sim);
    expect(sim.instances.filter((i) => (i.label ?? '').startsWith(`gpuops-${ref.operationId}`))).toEqual([]);
  }, 60_000);

  it('moves a job whose host dies to another machine and resumes it from its last synced checkpoint', async () => {
    const command = [
      'step=0',
      '[ -f "$GPUOPS_OUTPUT/ckpt" ] && step=$(cat "$GPUOPS_OUTPUT/ckpt")',
      'echo "resuming from step $step"',
      'while [ "$step" -lt 40 ]; do step=$((step + 1)); echo "$step" > "$GPUOPS_OUTPUT/ckpt"; echo "step $step"; sleep 0.15; done',
      'echo done > "$GPUOPS_OUTPUT/final.txt"',
    ].join('\n');
    const { jobId, operationId } = await startJob({ command, retries: 1 });
    const db = g.runtime.database.db;
    const running = await waitFor(
      async () => {
        const row = await getJob(db, jobId);
        return row?.output_synced_at && /step (1[5-9]|2\d)/.test(row.log_tail) ? row : undefined;
      },
      { timeoutMs: 60_000, what: 'the job to reach step 15 with its output synced' },
    );
    const first = (await getInstance(db, running.instance_id!))!;
    await failHost(g.sim, { instance_id: Number(first.provider_instance_id) });

    const { operation, job } = await ended(operationId, jobId);
    expect(operation.state, JSON.stringify(operation.error)).toBe('succeeded');
    expect(job.attempt).toBe(2);
    expect(job.instance_ids).toHaveLength(2);
    const log = await wholeLog(jobId);
    expect(log).toMatch(/host lost/);
    const resumedFrom = Number(/resuming from step (\d+)/g.exec(log.slice(log.indexOf('host lost')))?.[1]);
    expect(resumedFrom).toBeGreaterThanOrEqual(5);
    expect(log).toMatch(/step 40\n/);
    expect(job.artifacts?.map((a) => a.path).sort()).toEqual(['ckpt', 'final.txt']);
    expect(await stillBilling(operationId)).toEqual([]);
  }, 180_000);
});

/** With the default workspace (/workspace on vast.ai images): the repository and files a job names are there before it runs. */
describe('a job with inputs, in the default workspace', () => {
  let g: TestGpuops;
  let repoDir: string;

  beforeAll(async () => {
    g = await startTestGpuops({
      db: 'postgres',
      queue: 'redis',
      env: { GPUOPS_HEALTH_INTERVAL_MS: '0', GPUOPS_JOB_POLL_MS: '200', GPUOPS_WORKSPACE_DIR: '/workspace' },
    });
    repoDir = await mkdtemp(path.join(tmpdir(), 'gpuops-job-repo-'));
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repoDir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      });
    git('init', '-q', '-b', 'main');
    await writeFile(path.join(repoDir, 'train.py'), 'print("training from the repo")\n');
    git('add', '.');
    git('commit', '-q', '-m', 'train');
  });
  afterAll(async () => {
    await g?.close();
    await rm(repoDir, { recursive: true, force: true });
  });

  it('clones the repository at its ref, downloads an s3:// file, and runs the command in the clone', async () => {
    const store = await g.workerServices().snapshots!.store();
    await store.put('datasets/train.jsonl', Buffer.from('{"text":"hello"}\n'));
    const db = g.runtime.database.db;
    const job = await createJob(db, {
      owner: g.context.user,
      channel: g.context.channel,
      spec: jobSpecSchema.parse({
        command: 'python3 train.py && wc -l < data/train.jsonl && pwd',
        repo: { url: `file://${repoDir}`, ref: 'main' },
        inputs: [{ source: `s3://${store.bucket}/datasets/train.jsonl`, path: 'data/train.jsonl' }],
        target: { kind: 'rent', gpu: 'rtx-4090', count: 1, image: 'pytorch/pytorch:latest', disk_gb: 20 },
      }),
    });
    const { operationId } = await g.runtime.operations.enqueue({
      kind: 'run_job',
      args: { job: job.id },
      context: g.context,
    });
    await setJobOperation(db, job.id, operationId);
    const operation = await waitFor(
      async () => {
        const op = await getOperation(db, operationId);
        return op?.state === 'succeeded' || op?.state === 'failed' ? op : undefined;
      },
      { timeoutMs: 90_000, what: 'the job to end' },
    );
    expect(operation.state, JSON.stringify(operation.error)).toBe('succeeded');
    const ended = (await getJob(db, job.id))!;
    expect(ended.log_tail).toMatch(/training from the repo\n1\n/);
    expect(ended.log_tail).toMatch(/gpuops: /);
    expect(ended.log_tail).not.toMatch(/X-Amz-/);
    const sim = await getSimState(g.sim);
    expect(
      sim.instances.filter((i) => !i.destroyed && (i.label ?? '').startsWith(`gpuops-${operationId}`)),
    ).toEqual([]);
  }, 120_000);
});
