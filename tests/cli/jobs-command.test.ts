import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.ts';
import { listAudit } from '../../db/repositories/audit.ts';
import { insertInstance } from '../../db/repositories/instances.ts';
import { createJob, finishJob, getJob, setJobOperation, updateJob } from '../../db/repositories/jobs.ts';
import type { JobRow } from '../../db/schema.ts';
import {
  askExitStatus,
  type CommandStreams,
  type JobsCommandServices,
  jobOfOperation,
  jobResultFields,
  jobsArtifacts,
  jobsCancel,
  jobsList,
  jobsLogs,
  jobsStatus,
  withJobsServices,
} from '../../src/cli/jobs-command.ts';
import { jobOutputSnapshotId } from '../../src/cloud/jobs/job-artifacts.ts';
import { JobLogWriter } from '../../src/cloud/jobs/job-log.ts';
import { blobKey, type Manifest, manifestKey } from '../../src/cloud/snapshot/manifest.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../src/cloud/storage/object-store.ts';
import { JOB_ENDS, type JobEnd, type JobSpecIn, jobSpecSchema } from '../../src/domain/jobs.ts';
import { ErrorCode, GpuopsError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { runBin } from '../support/cli.ts';
import { embeddedSnapshot, GPUOPS_DEV_BIN, openTestDatabase, type TestDatabase } from '../support/index.ts';

/** What a command printed: stdout as bytes (a log is raw), stderr as text. */
function streams(): CommandStreams & { stdout(): Buffer; stderr(): string } {
  const out = new PassThrough();
  const err = new PassThrough();
  const outParts: Buffer[] = [];
  const errParts: Buffer[] = [];
  out.on('data', (d: Buffer) => outParts.push(d));
  err.on('data', (d: Buffer) => errParts.push(d));
  return {
    out,
    err,
    stdout: () => Buffer.concat(outParts),
    stderr: () => Buffer.concat(errParts).toString('utf8'),
  };
}

const SPEC: JobSpecIn = {
  command: 'python train.py --epochs 3',
  target: { kind: 'rent', gpu: 'rtx-4090', count: 1, image: 'pytorch/pytorch', disk_gb: 50 },
  limits: { max_seconds: 7_200, max_cost: 5 },
  retries: 1,
};

describe('gpuops jobs', () => {
  let database: TestDatabase;
  let s3: LocalS3;
  let s3Dir: string;
  let store: ObjectStore;
  let services: JobsCommandServices;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    s3Dir = await mkdtemp(path.join(tmpdir(), 'gpuops-cli-jobs-'));
    s3 = await startLocalS3(s3Dir, 'cli-jobs');
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'cli-jobs',
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
    services = { db: database.handle.db, store: async () => store };
  });

  afterAll(async () => {
    store?.close();
    await s3?.close();
    await database?.cleanup();
    await rm(s3Dir, { recursive: true, force: true });
  });

  async function newJob(channel: string, spec: JobSpecIn = SPEC, owner = 'alice'): Promise<JobRow> {
    return createJob(database.handle.db, { owner, channel, spec: jobSpecSchema.parse(spec) });
  }

  /** A job an hour and a half into its command, on a machine rented for it at $0.40/hr. */
  async function runningJob(channel: string, owner = 'alice'): Promise<JobRow> {
    const job = await newJob(channel, SPEC, owner);
    const machine = await insertInstance(database.handle.db, {
      provider: 'vast',
      provider_instance_id: `vast-${job.id}`,
      offer_id: 1,
      label: `gpuops-job-${job.id}`,
      gpu_name: 'RTX 4090',
      gpu_count: 1,
      price_per_hour: 0.4,
      state: 'running',
      provider_status: 'running',
      image: 'pytorch/pytorch',
      disk_gb: 50,
      location: null,
      ssh_host: '127.0.0.1',
      ssh_port: 2222,
      owner,
      channel,
      operation_id: `op-job-${job.id}`,
      created_at: new Date(),
      updated_at: new Date(),
      running_since: new Date(),
      destroyed_at: null,
    });
    const started = new Date(Date.now() - 90 * 60_000);
    return updateJob(database.handle.db, job.id, {
      state: 'running',
      attempt: 1,
      instance_id: machine.id,
      instance_ids: JSON.stringify([machine.id]),
      started_at: started,
      attempt_started_at: started,
      log_tail: 'epoch 1 loss 2.31\nepoch 2 loss 1.02',
    });
  }

  describe('logs', () => {
    it('prints the whole log byte for byte, however many chunks it was kept in', async () => {
      const job = await runningJob('logs-whole');
      // Bytes that are not text, and a line cut between chunks, must come through as they are.
      const parts = [
        Buffer.from('epoch 1 loss 2.31\n'),
        randomBytes(70_000),
        Buffer.from('half a li'),
        Buffer.from('ne\n\u00e9\u{1f680} done\n'),
      ];
      const writer = new JobLogWriter(store, job.id, 0);
      for (const part of parts) {
        writer.append(part);
        await writer.flush();
      }
      const io = streams();
      expect(await jobsLogs(services, io, `j-${job.id}`, { channel: 'logs-whole' })).toBe(0);
      expect(io.stdout().equals(Buffer.concat(parts))).toBe(true);
      expect(io.stderr()).toBe('');
    });

    it('says on stderr that a job has no log yet, and prints nothing', async () => {
      const job = await runningJob('logs-none');
      const io = streams();
      expect(await jobsLogs(services, io, `j-${job.id}`, { channel: 'logs-none' })).toBe(0);
      expect(io.stdout().length).toBe(0);
      expect(io.stderr()).toBe(
        `j-${job.id} has no log yet (running): its command's output is kept as it runs.\n`,
      );
    });
  });

  /** Keeps `files` as the job's output folder, in the layout the workers store it in. */
  async function keepOutput(jobId: number, files: Record<string, Buffer>): Promise<Manifest> {
    const manifest: Manifest = { version: 1, createdAt: new Date().toISOString(), entries: [] };
    for (const [file, content] of Object.entries(files)) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      await store.put(blobKey(sha256), content);
      manifest.entries.push({
        path: file,
        type: 'file',
        mode: 0o644,
        size: content.length,
        mtime: 1_764_000_000,
        sha256,
      });
    }
    await store.put(manifestKey(jobOutputSnapshotId(jobId)), Buffer.from(JSON.stringify(manifest)));
    return manifest;
  }

  /** Every file under `dir`, relative to it. */
  async function filesIn(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort();
  }

  describe('artifacts', () => {
    const ADAPTER = randomBytes(300_000);
    const LOSS = Buffer.from('step,loss\n1,2.31\n2,1.02\n');
    const CHECKPOINT = randomBytes(5_000);

    it('downloads every file byte for byte and lists each with its size and the total', async () => {
      const job = await runningJob('artifacts');
      await keepOutput(job.id, {
        'adapter/adapter_model.safetensors': ADAPTER,
        'loss.csv': LOSS,
        'checkpoint-100/optimizer.pt': CHECKPOINT,
      });
      const out = path.join(s3Dir, `download-${job.id}`);
      const io = streams();
      expect(
        await jobsArtifacts(services, io, `j-${job.id}`, { channel: 'artifacts', out }),
        io.stderr(),
      ).toBe(0);
      expect(await filesIn(out)).toEqual([
        'adapter/adapter_model.safetensors',
        'checkpoint-100/optimizer.pt',
        'loss.csv',
      ]);
      expect((await readFile(path.join(out, 'adapter/adapter_model.safetensors'))).equals(ADAPTER)).toBe(
        true,
      );
      expect((await readFile(path.join(out, 'loss.csv'))).equals(LOSS)).toBe(true);
      expect((await readFile(path.join(out, 'checkpoint-100/optimizer.pt'))).equals(CHECKPOINT)).toBe(true);
      expect(io.stdout().toString()).toBe(
        [
          'file                               size',
          '---------------------------------  -------',
          'adapter/adapter_model.safetensors  300 kB',
          'checkpoint-100/optimizer.pt        5.00 kB',
          'loss.csv                           24 B',
          `3 files, 305 kB in ${out}, each checked against its SHA-256.`,
          '',
        ].join('\n'),
      );
    });

    it('downloads only the files and folders --only names, and refuses names it kept nothing at', async () => {
      const job = await runningJob('artifacts-only');
      await keepOutput(job.id, { 'adapter/a.bin': ADAPTER, 'adapter/b.json': LOSS, 'loss.csv': LOSS });
      const out = path.join(s3Dir, `download-${job.id}`);
      const io = streams();
      const only = ['./adapter/', 'loss.csv'];
      expect(await jobsArtifacts(services, io, `j-${job.id}`, { channel: 'artifacts-only', out, only })).toBe(
        0,
      );
      expect(await filesIn(out)).toEqual(['adapter/a.bin', 'adapter/b.json', 'loss.csv']);

      const some = path.join(s3Dir, `download-${job.id}-some`);
      const one = streams();
      expect(
        await jobsArtifacts(services, one, `j-${job.id}`, {
          channel: 'artifacts-only',
          out: some,
          only: ['loss.csv'],
        }),
      ).toBe(0);
      expect(await filesIn(some)).toEqual(['loss.csv']);
      expect(one.stdout().toString()).toContain('1 file, 24 B in');

      const none = streams();
      const nowhere = path.join(s3Dir, `download-${job.id}-none`);
      expect(
        await jobsArtifacts(services, none, `j-${job.id}`, {
          channel: 'artifacts-only',
          out: nowhere,
          only: ['model.pt'],
        }),
      ).toBe(1);
      expect(none.stderr()).toBe(
        `gpuops: error bad_input: j-${job.id} kept nothing at model.pt; \`gpuops jobs status j-${job.id}\` lists what it kept.\n`,
      );
      expect(await filesIn(nowhere)).toEqual([]);
    });

    it('fails on a damaged file, saying which, and leaves no file of it', async () => {
      const job = await runningJob('artifacts-tampered');
      const manifest = await keepOutput(job.id, { 'model.bin': randomBytes(40_000) });
      // The stored content changes under the same name: same length, other bytes.
      await store.put(blobKey(manifest.entries[0]!.sha256!), randomBytes(40_000));
      const out = path.join(s3Dir, `download-${job.id}`);
      const io = streams();
      expect(await jobsArtifacts(services, io, `j-${job.id}`, { channel: 'artifacts-tampered', out })).toBe(
        1,
      );
      expect(io.stderr()).toMatch(
        new RegExp(
          `^gpuops: error snapshot_mismatch: model\\.bin of j-${job.id} did not download as kept: .* it was not saved\\.\\n$`,
        ),
      );
      expect(io.stdout().length).toBe(0);
      expect(await filesIn(out)).toEqual([]);
    });

    it('says a job kept nothing yet, and downloads nothing', async () => {
      const job = await runningJob('artifacts-none');
      const out = path.join(s3Dir, `download-${job.id}`);
      const io = streams();
      expect(await jobsArtifacts(services, io, `j-${job.id}`, { channel: 'artifacts-none', out })).toBe(0);
      expect(io.stderr()).toBe(
        `j-${job.id} has no artifacts yet (running): its output folder is kept as it runs and at its end.\n`,
      );
      expect(await filesIn(out)).toEqual([]);
    });

    it("is job_not_found for another channel's job, and downloads nothing", async () => {
      const job = await runningJob('artifacts-theirs');
      await keepOutput(job.id, { 'secret.txt': Buffer.from('theirs') });
      const out = path.join(s3Dir, `download-${job.id}`);
      const io = streams();
      expect(await jobsArtifacts(services, io, `j-${job.id}`, { channel: 'mine', out })).toBe(1);
      expect(io.stderr()).toMatch(/^gpuops: error job_not_found: /);
      expect(await filesIn(out)).toEqual([]);
    });
  });

  describe('a job that is not there', () => {
    it('is job_not_found, and so is another channel’s job, for every command', async () => {
      const theirs = await runningJob('someone-else');
      const writer = new JobLogWriter(store, theirs.id, 0);
      writer.append(Buffer.from('their secret output\n'));
      await writer.flush();
      for (const ref of [`j-${theirs.id}`, 'j-999999']) {
        const runs = [
          (io: CommandStreams) => jobsLogs(services, io, ref, { channel: 'mine' }),
          (io: CommandStreams) => jobsStatus(services, io, ref, { channel: 'mine' }),
          (io: CommandStreams) => jobsCancel(services, io, ref, { channel: 'mine', user: 'mallory' }),
        ];
        for (const command of runs) {
          const io = streams();
          expect(await command(io)).toBe(1);
          expect(io.stdout().length).toBe(0);
          expect(io.stderr()).toBe(
            `gpuops: error job_not_found: There is no job ${ref} in this channel; say "list my jobs" to see them.\n`,
          );
        }
      }
      expect((await getJob(database.handle.db, theirs.id))!.cancel_requested_at).toBeNull();
    });

    it('prints the error as JSON too with --json, and a malformed id is bad_input', async () => {
      const io = streams();
      expect(await jobsStatus(services, io, 'j-999999', { channel: 'mine', json: true })).toBe(1);
      expect(JSON.parse(io.stdout().toString())).toEqual({
        error: {
          code: 'job_not_found',
          message: 'There is no job j-999999 in this channel; say "list my jobs" to see them.',
        },
      });
      const bad = streams();
      expect(await jobsLogs(services, bad, 'i-4', { channel: 'mine' })).toBe(1);
      expect(bad.stderr()).toMatch(/^gpuops: error bad_input: "i-4" is not a job id/);
    });
  });

  describe('list and status', () => {
    it('lists your jobs in the channel newest first, with their machine and cost so far, as a table and as JSON lines', async () => {
      const first = await runningJob('listed');
      const second = await newJob('listed', {
        ...SPEC,
        command: 'bash eval.sh',
        target: { kind: 'instance', instance_id: 7 },
      });
      const bobs = await newJob('listed', SPEC, 'bob');
      await newJob('not-listed');
      const io = streams();
      expect(await jobsList(services, io, { channel: 'listed', user: 'alice' })).toBe(0);
      const lines = io.stdout().toString().trimEnd().split('\n');
      expect(lines[0]).toMatch(/^job\s+state\s+machine\s+ran\s+cost\s+command$/);
      expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual([`j-${second.id}`, `j-${first.id}`]);
      expect(lines[2]).toMatch(/queued\s+i-7\s+0 s\s+\$0\.00\s+bash eval\.sh$/);
      // 90 minutes at $0.40/hr.
      expect(lines[3]).toMatch(
        new RegExp(
          `running\\s+i-${first.instance_id} 1x RTX 4090\\s+1 h 30 min\\s+\\$0\\.600\\s+python train\\.py --epochs 3$`,
        ),
      );

      const everyone = streams();
      expect(await jobsList(services, everyone, { channel: 'listed', user: 'alice', all: true })).toBe(0);
      const all = everyone.stdout().toString().trimEnd().split('\n');
      expect(all[0]).toMatch(/^job\s+state\s+machine\s+ran\s+cost\s+owner\s+command$/);
      expect(all.slice(2).map((l) => l.split(/\s+/)[0])).toEqual([
        `j-${bobs.id}`,
        `j-${second.id}`,
        `j-${first.id}`,
      ]);

      const json = streams();
      expect(await jobsList(services, json, { channel: 'listed', user: 'alice', json: true })).toBe(0);
      const rows = json
        .stdout()
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows.map((r) => [r.job, r.state, r.instance, r.cost])).toEqual([
        [`j-${second.id}`, 'queued', null, 0],
        [`j-${first.id}`, 'running', `i-${first.instance_id}`, 0.6],
      ]);
    });

    it('lists the 20 newest unless --all, and says when there are none', async () => {
      for (let i = 0; i < 22; i++) await newJob('many');
      const some = streams();
      await jobsList(services, some, { channel: 'many', user: 'alice', json: true });
      expect(some.stdout().toString().trimEnd().split('\n')).toHaveLength(20);
      const all = streams();
      await jobsList(services, all, { channel: 'many', user: 'alice', json: true, all: true });
      expect(all.stdout().toString().trimEnd().split('\n')).toHaveLength(22);
      const none = streams();
      expect(await jobsList(services, none, { channel: 'many', user: 'carol' })).toBe(0);
      expect(none.stderr()).toBe("carol has no jobs in many; --all lists everyone's.\n");
      const empty = streams();
      expect(await jobsList(services, empty, { channel: 'empty', user: 'carol', all: true })).toBe(0);
      expect(empty.stderr()).toBe('No jobs in empty yet.\n');
    });

    it('shows a running job: its machine, time, cost so far, limits and last lines', async () => {
      const job = await runningJob('status-running');
      const io = streams();
      expect(await jobsStatus(services, io, `j-${job.id}`, { channel: 'status-running' })).toBe(0);
      expect(io.stdout().toString()).toBe(
        [
          `j-${job.id} · running`,
          'command:   python train.py --epochs 3',
          `machine:   i-${job.instance_id} (1x RTX 4090, $0.400/hr), rented for the job`,
          'limits:    stops after 2 h or $5.00',
          'attempt:   1 of 2 (moves to another machine if its host is lost)',
          'owner:     alice in status-running',
          `created:   ${job.created_at.toISOString()}`,
          'elapsed:   1 h 30 min',
          'cost:      $0.600 so far',
          'log:       none yet',
          'last lines:',
          '  epoch 1 loss 2.31',
          '  epoch 2 loss 1.02',
          '',
        ].join('\n'),
      );
    });

    it('shows how a job ended: its exit status, end message, cost and artifacts', async () => {
      const job = await runningJob('status');
      const tail = 'Traceback (most recent call last):\nValueError: bad shape';
      await finishJob(database.handle.db, job.id, {
        state: 'failed',
        exit_code: 3,
        end_message: `j-${job.id} failed: its command ended with exit status 3 (90:00, $0.123).\nKept 1 artifact (1.50 MB).\nLast lines:\n${tail}`,
        cost: 0.1234,
        log_bytes: 2_048,
        log_tail: `${tail}\n`,
        artifacts: JSON.stringify([
          { path: 'checkpoint-100/model.pt', bytes: 1_500_000, sha256: 'a'.repeat(64) },
        ]),
      });
      const io = streams();
      expect(await jobsStatus(services, io, `j-${job.id}`, { channel: 'status' })).toBe(0);
      const text = io.stdout().toString();
      expect(text).toContain(`j-${job.id} · failed\n`);
      expect(text).toContain('\nexit:      3\n');
      expect(text).toContain(
        `\nend:       j-${job.id} failed: its command ended with exit status 3 (90:00, $0.123).\n  Kept 1 artifact (1.50 MB).\n  Last lines:\n  Traceback (most recent call last):\n  ValueError: bad shape\n`,
      );
      expect(text).toContain('\ncost:      $0.123\n');
      expect(text).toContain(`\nlog:       2.05 kB (gpuops jobs logs j-${job.id})\n`);
      expect(text).toContain(
        `\nartifacts: 1 file, 1.50 MB (gpuops jobs artifacts j-${job.id} --out DIR)\n  checkpoint-100/model.pt  1.50 MB\n`,
      );
      // The end message has the last lines already: they are not shown twice.
      expect(text.match(/ValueError/g)).toHaveLength(1);

      const json = streams();
      expect(await jobsStatus(services, json, `j-${job.id}`, { channel: 'status', json: true })).toBe(0);
      expect(JSON.parse(json.stdout().toString())).toMatchObject({
        job: `j-${job.id}`,
        state: 'failed',
        exit_code: 3,
        cost: 0.123,
        log_bytes: 2_048,
        limits: { max_seconds: 7_200, max_cost: 5 },
        artifacts: [{ path: 'checkpoint-100/model.pt', bytes: 1_500_000 }],
      });
    });

    it('shows what a job printed inert: no escape sequence reaches the terminal', async () => {
      const job = await newJob('hostile', { ...SPEC, command: 'echo \x1b]0;owned\x07hi' });
      const io = streams();
      await jobsStatus(services, io, `j-${job.id}`, { channel: 'hostile' });
      expect(io.stdout().toString()).toContain('command:   echo hi');
      expect(io.stdout().toString()).not.toContain('\x1b');
    });
  });

  describe('cancel', () => {
    it('asks a running job to stop, and records who asked', async () => {
      const job = await runningJob('cancel');
      const io = streams();
      expect(await jobsCancel(services, io, `j-${job.id}`, { channel: 'cancel', user: 'bob' })).toBe(0);
      expect(io.stdout().toString()).toBe(
        `Asked j-${job.id} to stop: its command is stopped, what it left in $GPUOPS_OUTPUT so far is kept, and its rented machine is destroyed within a few seconds. \`gpuops jobs status j-${job.id}\` shows it end.\n`,
      );
      const row = (await getJob(database.handle.db, job.id))!;
      expect(row.cancel_requested_at).not.toBeNull();
      expect(row.cancel_requested_by).toBe('bob');
      const audit = await listAudit(database.handle.db, { channel: 'cancel' });
      expect(audit.map((a) => [a.actor, a.action, a.target, a.outcome])).toEqual([
        ['bob', 'cancel_job', `j-${job.id}`, 'requested'],
      ]);
    });

    it('refuses a job that has ended, saying how', async () => {
      const job = await runningJob('cancel-ended');
      await finishJob(database.handle.db, job.id, { state: 'succeeded', exit_code: 0 });
      const io = streams();
      expect(await jobsCancel(services, io, `j-${job.id}`, { channel: 'cancel-ended', user: 'bob' })).toBe(1);
      expect(io.stderr()).toBe(
        `gpuops: error invalid_state: j-${job.id} has already ended (succeeded); there is nothing to cancel.\n`,
      );
    });
  });
});

describe("gpuops ask's exit status", () => {
  const EXPECTED: Record<JobEnd, number> = {
    succeeded: 0,
    failed: 3,
    timed_out: 124,
    over_budget: 125,
    cancelled: 130,
    lost: 69,
  };

  it('follows the end of the job an operation ran, for every end', () => {
    for (const end of JOB_ENDS) {
      const outcome = {
        succeeded: end === 'succeeded',
        job: { state: end, exit_code: end === 'failed' ? 3 : null },
      };
      expect(askExitStatus([outcome], true), end).toBe(EXPECTED[end]);
    }
  });

  it('gives a failed command without a status of its own (a signal) 1, and keeps a status out of range from looking like another end', () => {
    expect(askExitStatus([{ succeeded: false, job: { state: 'failed', exit_code: null } }], false)).toBe(1);
    expect(askExitStatus([{ succeeded: false, job: { state: 'failed', exit_code: 300 } }], false)).toBe(1);
  });

  it('takes the first operation that did not succeed; other failed operations give 1', () => {
    const deployFailed = { succeeded: false };
    const timedOut = { succeeded: false, job: { state: 'timed_out' as const, exit_code: null } };
    const ok = { succeeded: true };
    expect(askExitStatus([ok, timedOut, deployFailed], false)).toBe(124);
    expect(askExitStatus([deployFailed, timedOut], false)).toBe(1);
    expect(askExitStatus([ok, ok], true)).toBe(0);
    // Everything that ran succeeded, but the request was not all done (an error, a refusal).
    expect(askExitStatus([ok], false)).toBe(1);
    expect(askExitStatus([], false)).toBe(1);
    expect(askExitStatus([], true)).toBe(0);
  });

  it('reads a job that has not ended by its operation', () => {
    expect(askExitStatus([{ succeeded: false, job: { state: 'running', exit_code: null } }], false)).toBe(1);
  });

  it('finds the job of a run_job operation, and what its --json result line adds', async () => {
    const database = await openTestDatabase('pglite');
    try {
      const db = database.handle.db;
      const job = await createJob(db, {
        owner: 'alice',
        channel: 'terminal',
        spec: jobSpecSchema.parse(SPEC),
      });
      await setJobOperation(db, job.id, 'op-run-1');
      await finishJob(db, job.id, { state: 'over_budget', cost: 5.01 });
      const row = await jobOfOperation(db, { kind: 'run_job', operationId: 'op-run-1' });
      expect(row && jobResultFields(row)).toEqual({
        job: `j-${job.id}`,
        job_state: 'over_budget',
        exit_code: null,
      });
      expect(await jobOfOperation(db, { kind: 'deploy', operationId: 'op-run-1' })).toBeUndefined();
      expect(await jobOfOperation(db, { kind: 'run_job', operationId: 'op-unknown' })).toBeUndefined();
    } finally {
      await database.cleanup();
    }
  });
});

describe('gpuops jobs as a command', () => {
  it('prints a bad configuration as every error, with exit status 2, and opens nothing', async () => {
    const io = streams();
    let ran = false;
    const status = await withJobsServices(
      async () => {
        throw new GpuopsError(ErrorCode.ConfigInvalid, 'GPUOPS_JOB_POLL_MS must be at least 100.');
      },
      io,
      true,
      async () => {
        ran = true;
        return 0;
      },
    );
    expect(status).toBe(2);
    expect(ran).toBe(false);
    expect(io.stderr()).toBe('gpuops: error config_invalid: GPUOPS_JOB_POLL_MS must be at least 100.\n');
    expect(JSON.parse(io.stdout().toString())).toEqual({
      error: { code: 'config_invalid', message: 'GPUOPS_JOB_POLL_MS must be at least 100.' },
    });
  });

  it('reaches the database and the store the runtime uses: `gpuops jobs logs` in a data folder', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'gpuops-cli-jobs-bin-'));
    try {
      // What a worker of this data folder would have left: a job in the embedded database and its
      // log in the local S3 server over <data>/s3, in the default bucket.
      const handle = await openDatabase({
        dataDir,
        snapshot: await embeddedSnapshot(),
        logger: silentLogger,
      });
      const job = await createJob(handle.db, {
        owner: 'alice',
        channel: 'terminal',
        spec: jobSpecSchema.parse(SPEC),
      });
      await handle.close();
      const s3 = await startLocalS3(path.join(dataDir, 's3'), 'gpuops-snapshots');
      const own = new ObjectStore({
        endpoint: s3.endpoint,
        region: 'us-east-1',
        bucket: 'gpuops-snapshots',
        forcePathStyle: true,
        ...LOCAL_S3_CREDENTIALS,
      });
      const log = Buffer.from('epoch 1 loss 2.31\nepoch 2 loss 1.02\n');
      const writer = new JobLogWriter(own, job.id, 0);
      writer.append(log);
      await writer.flush();
      own.close();
      await s3.close();

      const env = { GPUOPS_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      const printed = await runBin(GPUOPS_DEV_BIN, ['jobs', 'logs', `j-${job.id}`], env);
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout).toBe(log.toString());
      const elsewhere = await runBin(
        GPUOPS_DEV_BIN,
        ['jobs', 'status', `j-${job.id}`, '--channel', 'ml'],
        env,
      );
      expect(elsewhere.code).toBe(1);
      expect(elsewhere.stderr).toBe(
        `gpuops: error job_not_found: There is no job j-${job.id} in this channel; say "list my jobs" to see them.\n`,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
