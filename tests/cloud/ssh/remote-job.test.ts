import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RemoteJob, type RemoteJobRead } from '../../../src/cloud/ssh/remote-job.ts';
import type { SshTarget } from '../../../src/cloud/ssh/ssh-client.ts';
import { cheapestOffer, newKeyPair, sshExec, useSimulator, waitForStatus } from '../../support/simulator.ts';
import { waitFor } from '../../support/wait.ts';

describe('a job command run on an instance over SSH', () => {
  const { sim, api } = useSimulator();
  const key = newKeyPair();
  let instanceId: number;
  let target: SshTarget;
  let jobNumber = 0;
  const newJob = (options: ConstructorParameters<typeof RemoteJob>[2] = {}) =>
    new RemoteJob(target, `j-${++jobNumber}`, options);

  beforeAll(async () => {
    await api.registerKey(key.public);
    const offer = await cheapestOffer(api, { num_gpus: { eq: 1 } });
    instanceId = (await api.create(offer.id)).json.new_contract!;
    const running = await waitForStatus(api, instanceId, 'running');
    target = { host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private };
  });

  /** Reads from `offset` until the job has ended and its whole log has been read. */
  async function follow(
    job: RemoteJob,
    offset = 0,
  ): Promise<{ text: string; last: RemoteJobRead; chunks: Buffer[] }> {
    const chunks: Buffer[] = [];
    for (;;) {
      const read = await job.read(offset);
      chunks.push(read.bytes);
      offset = read.nextOffset;
      if (read.complete) return { text: Buffer.concat(chunks).toString('utf8'), last: read, chunks };
      if (read.bytes.length === 0) await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  /** The simulated machine is this one: a process is alive while /proc shows it, not as a zombie nobody reaps. */
  async function processAlive(pid: string): Promise<boolean> {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  }

  const workspace = async () =>
    realpath(path.join(sim.dataDir, 'instances', String(instanceId), 'workspace'));

  it('streams the output by offsets, in bounded reads, and reports exit status 0', async () => {
    const job = newJob({ maxReadBytes: 16 });
    const started = await job.start({
      command: 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.05; done; echo oops >&2',
    });
    expect(started.created).toBe(true);
    const { text, last, chunks } = await follow(job);
    expect(text).toBe('line 1\nline 2\nline 3\nline 4\nline 5\noops\n');
    expect(chunks.filter((chunk) => chunk.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(16);
    expect(last.state).toEqual({ kind: 'exited', code: 0, cancelled: false });
    expect(last.nextOffset).toBe(last.logBytes);
  });

  it('reports the exit status a failing command ends with', async () => {
    const job = newJob();
    await job.start({ command: 'echo about to fail; exit 3' });
    const { text, last } = await follow(job);
    expect(text).toBe('about to fail\n');
    expect(last.state).toEqual({ kind: 'exited', code: 3, cancelled: false });
  });

  it('runs a command with quotes, $, backticks, backslashes and newlines exactly as written', async () => {
    const job = newJob();
    const command = [
      `printf '%s\\n' "it's \\"quoted\\"" '$HOME stays' '\`not run\`' 'back\\slash'`,
      'echo "$GREETING"',
      'echo "job=$GPUOPS_JOB_ID"',
      'echo "pwd=$(pwd -P)"',
      'echo "out=$GPUOPS_OUTPUT"',
      'test -d "$GPUOPS_OUTPUT" && echo "output folder exists"',
    ].join('\n');
    await job.start({ command, env: { GREETING: 'it\'s $x `y` \\ "z"\nsecond line' } });
    const { text, last } = await follow(job);
    const home = await workspace();
    expect(text).toBe(
      [
        `it's "quoted"`,
        '$HOME stays',
        '`not run`',
        'back\\slash',
        'it\'s $x `y` \\ "z"',
        'second line',
        `job=${job.id}`,
        `pwd=${home}`,
        `out=${home}/output`,
        'output folder exists',
        '',
      ].join('\n'),
    );
    expect(last.state).toMatchObject({ kind: 'exited', code: 0 });
  });

  it('starts in the folder asked for (/workspace as the image names it) with the output folder asked for', async () => {
    await sshExec(target, 'mkdir -p /workspace/project');
    const job = newJob();
    await job.start({
      command:
        "pwd -P; echo \"$GPUOPS_OUTPUT\"; test -d '/workspace/project/results' && echo 'found /workspace'",
      workdir: '/workspace/project',
      outputDir: 'results',
    });
    const { text } = await follow(job);
    const home = await workspace();
    // The command names /workspace as it would on vast.ai; the simulator maps it as it maps any command line.
    expect(text).toBe(`${home}/project\n${home}/project/results\nfound ${home}\n`);
  });

  it('never runs a command twice: a retried start, even at the same moment, returns the run under way', async () => {
    const job = newJob();
    const spec = { command: 'echo ran >> runs.txt; sleep 0.3; echo done' };
    const [first, second] = await Promise.all([job.start(spec), job.start(spec)]);
    expect([first.created, second.created].sort()).toEqual([false, true]);
    const again = await job.start(spec);
    expect(again.created).toBe(false);
    const { text, last } = await follow(job);
    expect(text).toBe('done\n');
    expect(last.state).toMatchObject({ kind: 'exited', code: 0 });
    const late = await job.start(spec);
    expect(late).toEqual({ created: false, state: { kind: 'exited', code: 0, cancelled: false } });
    expect((await sshExec(target, 'cat runs.txt')).stdout).toBe('ran\n');
    await sshExec(target, 'rm runs.txt');
  });

  it('takes over the claim of a start that died before launching, and runs the command once', async () => {
    const job = newJob();
    // What a start cut off between its claim and its launch leaves: a claim by a process that is gone.
    const leftover = await sshExec(
      target,
      `d="$XDG_STATE_HOME/gpuops/jobs/${job.id}"; mkdir -p "$d" && echo 999999999 > "$d/claim.pid" && echo ok`,
    );
    expect(leftover.stdout).toBe('ok\n');
    const started = await job.start({ command: 'echo once' });
    expect(started.created).toBe(true);
    const { text, last } = await follow(job);
    expect(text).toBe('once\n');
    expect(last.state).toMatchObject({ kind: 'exited', code: 0 });
  });

  it('lets a second worker take over from the offset the first one saved: no line lost or repeated', async () => {
    const id = `j-${++jobNumber}`;
    const first = new RemoteJob(target, id, { maxReadBytes: 40 });
    await first.start({
      command: 'i=1; while [ $i -le 60 ]; do echo "step $i"; i=$((i + 1)); sleep 0.01; done',
    });
    let saved = 0;
    const seen: Buffer[] = [];
    while (saved < 100) {
      const read = await first.read(saved);
      seen.push(read.bytes);
      saved = read.nextOffset;
    }
    // The first worker is gone; another one, with its own handle, carries on from what was saved.
    const second = new RemoteJob(target, id);
    const { text, last } = await follow(second, saved);
    const lines = (Buffer.concat(seen).toString('utf8') + text).split('\n');
    expect(lines).toEqual([...Array.from({ length: 60 }, (_, i) => `step ${i + 1}`), '']);
    expect(last.state).toMatchObject({ kind: 'exited', code: 0 });
  });

  it('cancels the whole process group, children in the background too, and says it was cancelled', async () => {
    const job = newJob();
    await job.start({ command: 'sleep 300 & echo $! > child.pid; echo started; sleep 300' });
    await waitFor(async () => (await job.read()).bytes.toString() === 'started\n', {
      what: 'the job to start',
    });
    const child = (await sshExec(target, 'cat child.pid')).stdout.trim();
    expect(await processAlive(child)).toBe(true);

    const state = await job.cancel(5_000);
    expect(state).toEqual({ kind: 'killed', signal: 'SIGTERM', code: 143, cancelled: true });
    expect(await processAlive(child)).toBe(false);
    expect((await job.read()).state).toEqual(state);
    // Cancelling again changes nothing.
    expect(await job.cancel(5_000)).toEqual(state);
  });

  it('kills a command that ignores SIGTERM once the grace period is over', async () => {
    const job = newJob();
    await job.start({ command: "trap '' TERM; echo stubborn; sleep 300" });
    await waitFor(async () => (await job.read()).bytes.length > 0, {
      what: 'the job to start',
      timeoutMs: 20_000,
    });
    const state = await job.cancel(300);
    expect(state).toEqual({ kind: 'killed', signal: 'SIGKILL', code: 137, cancelled: true });
  });

  it('leaves a job that already ended as it ended when cancelled', async () => {
    const job = newJob();
    await job.start({ command: 'exit 0' });
    await follow(job);
    expect(await job.cancel()).toEqual({ kind: 'exited', code: 0, cancelled: false });
  });

  it('says so when this machine has no job of that id', async () => {
    const job = newJob();
    const read = await job.read(0);
    expect(read).toMatchObject({ state: { kind: 'not_found' }, nextOffset: 0, logBytes: 0, complete: true });
    expect(read.bytes.length).toBe(0);
    expect(await job.cancel()).toEqual({ kind: 'not_found' });
  });

  it('keeps its bookkeeping out of the workspace that snapshots copy', async () => {
    const job = newJob();
    await job.start({ command: 'true' });
    await follow(job);
    const listing = await sshExec(target, 'find . -name "*.sh" -o -name supervisor.pid');
    expect(listing.stdout).toBe('');
  });

  it('refuses a job id or a variable name that could not be used safely on the machine', () => {
    expect(() => new RemoteJob(target, '../etc')).toThrow(/cannot name a job/);
    expect(() => new RemoteJob(target, 'a b')).toThrow(/cannot name a job/);
    return expect(newJob().start({ command: 'true', env: { 'BAD-NAME': 'x' } })).rejects.toThrow(
      /not an environment variable name/,
    );
  });

  it('reads a job whose machine was stopped under it as lost', async () => {
    const job = newJob();
    await job.start({ command: 'echo working; sleep 300' });
    await waitFor(async () => (await job.read()).bytes.length > 0, {
      what: 'the job to start',
      timeoutMs: 20_000,
    });
    await api.setState(instanceId, 'stopped');
    await waitForStatus(api, instanceId, 'stopped');
    await api.setState(instanceId, 'running');
    const running = await waitForStatus(api, instanceId, 'running');
    target = { host: running.ssh_host!, port: running.ssh_port!, privateKey: key.private };
    const after = await new RemoteJob(target, job.id).read(0);
    expect(after.state).toEqual({ kind: 'lost' });
    expect(after.bytes.toString()).toBe('working\n');
  });
});
