import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobWorkdir, planInputs, repositoryName } from '../../../src/cloud/jobs/job-inputs.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../../src/cloud/storage/object-store.ts';
import type { JobSpecIn } from '../../../src/domain/jobs.ts';
import { jobSpecSchema } from '../../../src/domain/jobs.ts';
import { ErrorCode } from '../../../src/errors.ts';

const run = promisify(execFile);

interface ScriptRun {
  code: number;
  /** stdout and stderr together, as the job log holds them. */
  log: string;
}

/** Runs a script with plain sh (dash here), output merged as the remote job's log is. */
async function runScript(
  script: string,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ScriptRun> {
  const file = path.join(dir, `inputs-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(file, script);
  try {
    const { stdout } = await run('sh', ['-c', `sh "$0" 2>&1`, file], { env, timeout: 60_000 });
    return { code: 0, log: stdout };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, log: failure.stdout ?? '' };
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
    timeout: 30_000,
  });
  return stdout.trim();
}

function spec(partial: Pick<JobSpecIn, 'repo' | 'inputs'>) {
  return jobSpecSchema.parse({
    command: 'python train.py',
    target: { kind: 'instance', instance_id: 1 },
    ...partial,
  });
}

describe('fetching a job inputs on its machine', () => {
  let root: string;
  let repoUrl: string;
  let firstCommit: string;
  let http: Server;
  let httpBase: string;
  let s3: LocalS3;
  let store: ObjectStore;
  const signed: string[] = [];
  const sign = async (bucket: string, key: string) => {
    const url = await store.presignGet(key, { bucket });
    signed.push(url);
    return url;
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gpuops-inputs-'));

    // A repository with two commits on main, a branch and a tag, served as file:// (bare).
    const work = path.join(root, 'src-repo');
    await mkdir(work);
    await git(work, 'init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(work, 'train.py'), 'print("v1")\n');
    await git(work, 'add', '.');
    await git(work, 'commit', '--quiet', '-m', 'first');
    firstCommit = await git(work, 'rev-parse', 'HEAD');
    await git(work, 'tag', 'v1');
    await git(work, 'checkout', '--quiet', '-b', 'feature');
    await writeFile(path.join(work, 'train.py'), 'print("feature")\n');
    await git(work, 'commit', '--quiet', '-am', 'feature');
    await git(work, 'checkout', '--quiet', 'main');
    await writeFile(path.join(work, 'train.py'), 'print("v2")\n');
    await git(work, 'commit', '--quiet', '-am', 'second');
    await git(root, 'clone', '--quiet', '--bare', work, path.join(root, 'models.git'));
    repoUrl = `file://${path.join(root, 'models.git')}`;

    http = createServer((req, res) => {
      if (req.url === '/data/train.jsonl') {
        res.end('{"text": "hello"}\n');
      } else if (req.url?.startsWith('/tokenizer.json?')) {
        res.end('{"vocab": 3}');
      } else if (req.url === '/cut-short.bin') {
        // Promises a megabyte, sends a little, then drops the connection.
        res.writeHead(200, { 'content-length': String(1024 * 1024) });
        res.write(Buffer.alloc(4096, 1));
        setTimeout(() => res.socket?.destroy(), 50);
      } else {
        res.writeHead(404).end('not here');
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpBase = `http://127.0.0.1:${(http.address() as { port: number }).port}`;

    s3 = await startLocalS3(path.join(root, 's3'), 'job-inputs');
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'job-inputs',
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
    await store.put('datasets/eval&set=v2.jsonl', Buffer.from('{"q": 1}\n'));
  }, 60_000);

  afterAll(async () => {
    store?.close();
    await s3?.close();
    await new Promise((resolve) => http?.close(resolve));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('has nothing to run without a repository or inputs; the command runs in the workspace', async () => {
    expect(await planInputs(spec({}), { workspace: '/workspace/', jobId: 4, sign })).toEqual({
      script: undefined,
      workdir: '/workspace',
    });
  });

  it('names the clone folder after the repository', () => {
    expect(repositoryName('https://github.com/org/llm-finetune.git')).toBe('llm-finetune');
    expect(repositoryName('git@github.com:org/trainer.git')).toBe('trainer');
    expect(repositoryName('file:///srv/git/models/')).toBe('models');
    expect(() => repositoryName('https://github.com/org/..')).toThrow(/Cannot tell the repository's name/);
  });

  it('downloads https and s3 inputs into the workspace, without showing the presigned credential', async () => {
    const workspace = path.join(root, 'ws-files');
    const plan = await planInputs(
      spec({
        inputs: [
          { source: `${httpBase}/data/train.jsonl`, path: 'data/train.jsonl' },
          { source: `${httpBase}/tokenizer.json?token=s3cr3t`, path: 'tok/tokenizer.json' },
          { source: 's3://job-inputs/datasets/eval&set=v2.jsonl', path: 'data/deep/eval.jsonl' },
        ],
      }),
      { workspace, jobId: 4, sign },
    );
    expect(plan.workdir).toBe(workspace);
    const result = await runScript(plan.script as string, root);
    expect(result).toMatchObject({ code: 0 });
    expect(await readFile(path.join(workspace, 'data/train.jsonl'), 'utf8')).toBe('{"text": "hello"}\n');
    expect(await readFile(path.join(workspace, 'tok/tokenizer.json'), 'utf8')).toBe('{"vocab": 3}');
    expect(await readFile(path.join(workspace, 'data/deep/eval.jsonl'), 'utf8')).toBe('{"q": 1}\n');
    expect(result.log).toContain("gpuops: fetching j-4's inputs (3 files) into");
    expect(result.log).toContain(
      'gpuops: downloading s3://job-inputs/datasets/eval&set=v2.jsonl to data/deep/eval.jsonl',
    );
    expect(result.log).toContain(`gpuops: downloading ${httpBase}/tokenizer.json?… to tok/tokenizer.json`);
    expect(result.log).toContain(`gpuops: inputs ready in ${workspace}`);

    const presigned = new URL(signed.at(-1) as string);
    expect(presigned.search).toContain('X-Amz-Signature');
    expect(presigned.searchParams.get('X-Amz-Expires')).toBe(String(6 * 3600));
    expect(`${presigned.origin}${presigned.pathname}`).toBe(
      `${s3.endpoint}/job-inputs/datasets/eval%26set%3Dv2.jsonl`,
    );
    await expect(store.presignGet('k', { expiresInSec: 8 * 86_400 })).rejects.toMatchObject({
      code: ErrorCode.BadInput,
    });
    expect(result.log).not.toContain(presigned.search.slice(1));
    expect(result.log).not.toContain('X-Amz-');
    expect(result.log).not.toContain('s3cr3t');
    for (const line of result.log.trim().split('\n')) expect(line).toMatch(/^gpuops: /);
  });

  it('exits non-zero with a clear line when a download fails, leaving no file behind', async () => {
    const workspace = path.join(root, 'ws-failing');
    for (const [name, source] of [
      ['missing.bin', `${httpBase}/missing.bin`],
      ['cut.bin', `${httpBase}/cut-short.bin`],
    ] as const) {
      const plan = await planInputs(spec({ inputs: [{ source, path: `data/${name}` }] }), {
        workspace,
        jobId: 5,
        sign,
      });
      const result = await runScript(plan.script as string, root);
      expect(result.code).not.toBe(0);
      expect(result.log).toContain(
        `gpuops: could not download ${source} to data/${name}; check that it exists and that this machine may read it.`,
      );
      expect(result.log).not.toContain('inputs ready');
      expect(await readdir(path.join(workspace, 'data'))).toEqual([]);
    }
  });

  it('clones a branch, runs the command in the clone, and reuses the clone when fetched again', async () => {
    const workspace = path.join(root, 'ws-branch');
    const plan = await planInputs(
      spec({
        repo: { url: repoUrl, ref: 'feature' },
        inputs: [{ source: `${httpBase}/data/train.jsonl`, path: 'data/train.jsonl' }],
      }),
      { workspace, jobId: 6, sign },
    );
    expect(plan.workdir).toBe(path.join(workspace, 'models'));
    expect(jobWorkdir({ repo: { url: repoUrl, ref: 'feature' } }, workspace)).toBe(plan.workdir);
    const first = await runScript(plan.script as string, root);
    expect(first).toMatchObject({ code: 0 });
    expect(first.log).toContain(`gpuops: cloning ${repoUrl} at feature into ${plan.workdir}`);
    expect(await readFile(path.join(plan.workdir, 'train.py'), 'utf8')).toBe('print("feature")\n');
    expect(existsSync(path.join(plan.workdir, 'data/train.jsonl'))).toBe(true);

    // A retried fetch on the same machine: the clone is there (with the command's changes).
    await writeFile(path.join(plan.workdir, 'train.py'), 'edited\n');
    const again = await runScript(plan.script as string, root);
    expect(again).toMatchObject({ code: 0 });
    expect(again.log).toContain(
      `gpuops: reusing the clone in ${plan.workdir}; bringing it to ${repoUrl} at feature`,
    );
    expect(await readFile(path.join(plan.workdir, 'train.py'), 'utf8')).toBe('print("feature")\n');
    expect((await readdir(workspace)).sort()).toEqual(['models']);
  });

  it('clones a tag shallow, and the default branch without a ref', async () => {
    const tagged = await planInputs(spec({ repo: { url: repoUrl, ref: 'v1' } }), {
      workspace: path.join(root, 'ws-tag'),
      jobId: 7,
      sign,
    });
    expect(await runScript(tagged.script as string, root)).toMatchObject({ code: 0 });
    expect(await readFile(path.join(tagged.workdir, 'train.py'), 'utf8')).toBe('print("v1")\n');
    expect(await git(tagged.workdir, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(await runScript(tagged.script as string, root)).toMatchObject({ code: 0 });

    const latest = await planInputs(spec({ repo: { url: repoUrl } }), {
      workspace: path.join(root, 'ws-default'),
      jobId: 8,
      sign,
    });
    expect(await runScript(latest.script as string, root)).toMatchObject({ code: 0 });
    expect(await readFile(path.join(latest.workdir, 'train.py'), 'utf8')).toBe('print("v2")\n');
    const retried = await runScript(latest.script as string, root);
    expect(retried).toMatchObject({ code: 0 });
    expect(retried.log).toContain('gpuops: reusing the clone');
  });

  it('checks out a commit, also in a shallow clone left by an earlier fetch', async () => {
    const workspace = path.join(root, 'ws-commit');
    const plan = await planInputs(spec({ repo: { url: repoUrl, ref: firstCommit } }), {
      workspace,
      jobId: 9,
      sign,
    });
    const result = await runScript(plan.script as string, root);
    expect(result).toMatchObject({ code: 0 });
    expect(await git(plan.workdir, 'rev-parse', 'HEAD')).toBe(firstCommit);
    expect(await readFile(path.join(plan.workdir, 'train.py'), 'utf8')).toBe('print("v1")\n');

    // The same folder cloned shallow at main first (an earlier job), then asked for the commit.
    const shallowWorkspace = path.join(root, 'ws-commit-shallow');
    const main = await planInputs(spec({ repo: { url: repoUrl, ref: 'main' } }), {
      workspace: shallowWorkspace,
      jobId: 10,
      sign,
    });
    expect(await runScript(main.script as string, root)).toMatchObject({ code: 0 });
    const commit = await planInputs(spec({ repo: { url: repoUrl, ref: firstCommit } }), {
      workspace: shallowWorkspace,
      jobId: 10,
      sign,
    });
    expect(await runScript(commit.script as string, root)).toMatchObject({ code: 0 });
    expect(await git(commit.workdir, 'rev-parse', 'HEAD')).toBe(firstCommit);
  });

  it('says so when the ref or the repository is not there', async () => {
    const missingRef = await planInputs(spec({ repo: { url: repoUrl, ref: 'no-such-branch' } }), {
      workspace: path.join(root, 'ws-bad-ref'),
      jobId: 11,
      sign,
    });
    const badRef = await runScript(missingRef.script as string, root);
    expect(badRef.code).not.toBe(0);
    expect(badRef.log).toContain(`gpuops: there is no commit, branch or tag no-such-branch in ${repoUrl}.`);
    expect(await readdir(path.join(root, 'ws-bad-ref'))).toEqual([]);

    const gone = `file://${path.join(root, 'nowhere.git')}`;
    const missingRepo = await planInputs(spec({ repo: { url: gone, ref: 'main' } }), {
      workspace: path.join(root, 'ws-bad-repo'),
      jobId: 12,
      sign,
    });
    const badRepo = await runScript(missingRepo.script as string, root);
    expect(badRepo.code).not.toBe(0);
    expect(badRepo.log).toContain(`gpuops: cannot reach the repository ${gone}`);
  });

  it('refuses to clone over a folder that holds something else', async () => {
    const workspace = path.join(root, 'ws-occupied');
    await mkdir(path.join(workspace, 'models'), { recursive: true });
    await writeFile(path.join(workspace, 'models', 'notes.txt'), 'mine\n');
    const plan = await planInputs(spec({ repo: { url: repoUrl } }), { workspace, jobId: 13, sign });
    const result = await runScript(plan.script as string, root);
    expect(result.code).not.toBe(0);
    expect(result.log).toContain(`gpuops: ${plan.workdir} is already there and is not a clone of ${repoUrl}`);
    expect(await readFile(path.join(workspace, 'models', 'notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('falls back to wget on a machine without curl', async () => {
    // A PATH with every tool of this machine but curl.
    const bin = path.join(root, 'bin-without-curl');
    await mkdir(bin);
    for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (name === 'curl' || existsSync(path.join(bin, name))) continue;
        await symlink(path.join(dir, name), path.join(bin, name));
      }
    }
    if (!existsSync(path.join(bin, 'wget'))) return; // no wget here to fall back to
    const workspace = path.join(root, 'ws-wget');
    const plan = await planInputs(
      spec({
        inputs: [
          { source: `${httpBase}/data/train.jsonl`, path: 'train.jsonl' },
          { source: 's3://job-inputs/datasets/eval&set=v2.jsonl', path: 'eval.jsonl' },
        ],
      }),
      { workspace, jobId: 14, sign },
    );
    const result = await runScript(plan.script as string, root, { ...process.env, PATH: bin });
    expect(result).toMatchObject({ code: 0 });
    expect(await readFile(path.join(workspace, 'train.jsonl'), 'utf8')).toBe('{"text": "hello"}\n');
    expect(await readFile(path.join(workspace, 'eval.jsonl'), 'utf8')).toBe('{"q": 1}\n');
    expect(result.log).not.toContain('X-Amz-');
  });

  it('fits 32 inputs with presigned URLs in one command, and says so when inputs are too long to', async () => {
    const many = Array.from({ length: 32 }, (_, i) => ({
      source: `s3://job-inputs/datasets/shard-${String(i).padStart(4, '0')}/train-${'x'.repeat(60)}.jsonl`,
      path: `data/shards/shard-${i}.jsonl`,
    }));
    const plan = await planInputs(spec({ inputs: many }), { workspace: '/workspace', jobId: 15, sign });
    expect(Buffer.byteLength(plan.script as string)).toBeLessThan(64 * 1024);

    // The longest the schema allows, 32 times over, is more than one command line can carry.
    const huge = many.map((_, i) => ({
      source: `${httpBase}/${'y'.repeat(970)}`,
      path: `data/${'p'.repeat(150)}-${i}.jsonl`,
    }));
    const refused = await planInputs(spec({ inputs: huge }), {
      workspace: '/workspace',
      jobId: 15,
      sign,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: ErrorCode.BadInput });
    expect((refused as Error).message).toMatch(
      /^j-15's inputs take \d+ KiB to describe to its machine, more than the 64 KiB one step can carry/,
    );
  });

  it('refuses a workspace that is not an absolute path', async () => {
    await expect(
      planInputs(spec({ inputs: [{ source: `${httpBase}/x`, path: 'x' }] }), {
        workspace: 'workspace',
        jobId: 1,
        sign,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Internal });
  });
});
