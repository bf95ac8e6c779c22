import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobLogWriter,
  jobLogPrefix,
  OutputTail,
  readJobLog,
  readJobLogTail,
} from '../../../src/cloud/jobs/job-log.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../src/cloud/storage/local-s3.ts';
import { ObjectStore } from '../../../src/cloud/storage/object-store.ts';
import { ErrorCode, GpuopsError } from '../../../src/errors.ts';

/** Collects what is written to it, as a terminal or a file would receive it. */
function collector(): { out: Writable; text(): string } {
  const parts: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      parts.push(chunk);
      done();
    },
  });
  return { out, text: () => Buffer.concat(parts).toString('utf8') };
}

describe('job logs in storage', () => {
  let s3: LocalS3;
  let s3Dir: string;
  let store: ObjectStore;

  beforeAll(async () => {
    s3Dir = await mkdtemp(path.join(tmpdir(), 'gpuops-job-log-'));
    s3 = await startLocalS3(s3Dir, 'job-logs');
    store = new ObjectStore({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'job-logs',
      forcePathStyle: true,
      ...LOCAL_S3_CREDENTIALS,
    });
  });

  afterAll(async () => {
    store?.close();
    await s3?.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  it('keeps a log written in flushes, and reads it back whole and by its tail', async () => {
    const writer = new JobLogWriter(store, 4, 0);
    expect(await writer.flush()).toBe(0);
    expect(await store.list(jobLogPrefix(4))).toEqual([]);

    writer.append(Buffer.from('epoch 1 loss 0.9\n'));
    writer.append(Buffer.from('epoch 2 loss 0.7\n'));
    expect(writer.pendingBytes).toBe(34);
    expect(await writer.flush()).toBe(34);
    expect(writer.pendingBytes).toBe(0);
    writer.append(Buffer.from('epoch 3 loss 0.5\ndone\n'));
    expect(await writer.flush()).toBe(56);

    expect(jobLogPrefix(4)).toBe('jobs/j-4/log/');
    expect(await store.list('jobs/j-4/log/')).toEqual([
      'jobs/j-4/log/0000000000000000',
      'jobs/j-4/log/0000000000000034',
    ]);
    const { out, text } = collector();
    expect(await readJobLog(store, 4, out)).toEqual({ bytes: 56 });
    expect(text()).toBe('epoch 1 loss 0.9\nepoch 2 loss 0.7\nepoch 3 loss 0.5\ndone\n');
    expect((await readJobLogTail(store, 4, 10)).toString()).toBe(' 0.5\ndone\n');
    expect((await readJobLogTail(store, 4, 1_000)).toString()).toBe(text());
  });

  it('reads an empty log as nothing', async () => {
    const { out, text } = collector();
    expect(await readJobLog(store, 99, out)).toEqual({ bytes: 0 });
    expect(text()).toBe('');
    expect((await readJobLogTail(store, 99, 100)).length).toBe(0);
  });

  it('keeps bytes pending when storing fails, and stores them at the same offset on the next flush', async () => {
    const broken = new ObjectStore({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      bucket: 'job-logs',
      forcePathStyle: true,
      timeoutMs: 2_000,
      ...LOCAL_S3_CREDENTIALS,
    });
    try {
      const failing = new JobLogWriter(broken, 5, 0);
      failing.append(Buffer.from('first\n'));
      await expect(failing.flush()).rejects.toMatchObject({ code: ErrorCode.StorageFailed });
      expect(failing.pendingBytes).toBe(6);
      expect(failing.storedBytes).toBe(0);
    } finally {
      broken.close();
    }

    // A worker that takes over resumes from what was recorded as stored.
    const writer = new JobLogWriter(store, 5, 0);
    writer.append(Buffer.from('first\n'));
    const flushing = writer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    writer.append(Buffer.from('second\n')); // arrives while the upload is under way
    expect(await flushing).toBe(6);
    expect(writer.pendingBytes).toBe(7);
    expect(await writer.flush()).toBe(13);
    const { out, text } = collector();
    await readJobLog(store, 5, out);
    expect(text()).toBe('first\nsecond\n');
  });

  it('trims the overlap left by a worker that re-read the log from an earlier offset', async () => {
    // The first worker stored 0..12 then 12..24 but recorded only 12 before it died; the next one
    // re-reads the machine's log from 12 and stores 12..30 in one chunk.
    const first = new JobLogWriter(store, 6, 0);
    first.append(Buffer.from('line one 01\n'));
    await first.flush();
    first.append(Buffer.from('line two 02\n'));
    await first.flush();
    const second = new JobLogWriter(store, 6, 12);
    second.append(Buffer.from('line two 02\nthree\n'));
    expect(await second.flush()).toBe(30);

    // A stale shorter chunk further on, as from a worker that got further before dying.
    const third = new JobLogWriter(store, 6, 18);
    third.append(Buffer.from('three\n'));
    await third.flush();

    const { out, text } = collector();
    expect(await readJobLog(store, 6, out)).toEqual({ bytes: 30 });
    expect(text()).toBe('line one 01\nline two 02\nthree\n');
    expect((await readJobLogTail(store, 6, 15)).toString()).toBe('ne two 02\nthree\n'.slice(-15));
  });

  it('keeps only the new part of a chunk that starts inside the one before it', async () => {
    // Stored 0..6, then (recorded as 3) a worker re-read from 3 and stored 3..10.
    const first = new JobLogWriter(store, 10, 0);
    first.append(Buffer.from('abcdef'));
    await first.flush();
    const second = new JobLogWriter(store, 10, 3);
    second.append(Buffer.from('defghij'));
    await second.flush();
    const { out, text } = collector();
    expect(await readJobLog(store, 10, out)).toEqual({ bytes: 10 });
    expect(text()).toBe('abcdefghij');
    expect((await readJobLogTail(store, 10, 5)).toString()).toBe('fghij');
    expect((await readJobLogTail(store, 10, 8)).toString()).toBe('cdefghij');
  });

  it('says which bytes are missing when a chunk is gone', async () => {
    const writer = new JobLogWriter(store, 7, 0);
    writer.append(Buffer.from('aaaa'));
    await writer.flush();
    writer.append(Buffer.from('bbbb'));
    await writer.flush();
    writer.append(Buffer.from('cccc'));
    await writer.flush();
    await store.delete(['jobs/j-7/log/0000000000000004']);

    const { out } = collector();
    const failure = await readJobLog(store, 7, out).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(GpuopsError);
    expect(failure).toMatchObject({ code: ErrorCode.StorageFailed });
    expect((failure as Error).message).toContain("j-7's log in storage is missing bytes 4 to 7");
    await expect(readJobLogTail(store, 7, 2)).rejects.toMatchObject({ code: ErrorCode.StorageFailed });
  });

  it('waits for a slow reader instead of buffering the whole log', async () => {
    const writer = new JobLogWriter(store, 8, 0);
    const big = Buffer.alloc(300_000, 'x');
    writer.append(big);
    await writer.flush();
    writer.append(big);
    await writer.flush();
    const out = new PassThrough({ highWaterMark: 1024 });
    let received = 0;
    const reading = readJobLog(store, 8, out);
    out.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    expect(await reading).toEqual({ bytes: 600_000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toBe(600_000);
  });
});

describe('OutputTail', () => {
  it('shows the last lines, the partial one included', () => {
    const tail = new OutputTail(3);
    tail.push(Buffer.from('one\ntwo\nthree\nfour\nfi'));
    expect(tail.lines()).toEqual(['three', 'four', 'fi']);
    tail.push(Buffer.from('ve\n'));
    expect(tail.text()).toBe('three\nfour\nfive');
  });

  it('redraws a progress bar in place on carriage returns, and takes \\r\\n as a newline', () => {
    const tail = new OutputTail();
    tail.push(Buffer.from('Downloading\r\n'));
    tail.push(Buffer.from(' 10%|#         | 1/10\r'));
    tail.push(Buffer.from(' 20%|##        | 2/10\r'));
    expect(tail.lines()).toEqual(['Downloading', ' 20%|##        | 2/10']);
    tail.push(Buffer.from('100%|##########| 10/10\n'));
    tail.push(Buffer.from('saved\n'));
    expect(tail.lines()).toEqual(['Downloading', '100%|##########| 10/10', 'saved']);
  });

  it('joins a UTF-8 character split between pushes', () => {
    const tail = new OutputTail();
    const bytes = Buffer.from('loss → 0.5 ✓ 日本\n');
    for (let i = 0; i < bytes.length; i++) tail.push(bytes.subarray(i, i + 1));
    expect(tail.text()).toBe('loss → 0.5 ✓ 日本');
  });

  it('strips colours, cursor moves and titles, even split between pushes', () => {
    const tail = new OutputTail();
    tail.push(Buffer.from('\x1b[32mgreen\x1b[0m plain\n\x1b]0;title\x07ok\x1b[2K\x1b'));
    tail.push(Buffer.from('[1A done\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n'));
    expect(tail.lines()).toEqual(['green plain', 'ok donelink']);
  });

  it('cuts a very long line', () => {
    const tail = new OutputTail();
    tail.push(Buffer.from(`${'a'.repeat(5_000)}\nshort\n`));
    const [long, short] = tail.lines();
    expect(long).toBe(`${'a'.repeat(400)}…`);
    expect(short).toBe('short');
  });

  it('starts from lines shown before and continues the partial one', () => {
    const tail = new OutputTail(2, 'earlier\nstep 1');
    tail.push(Buffer.from('0\nstep 20\n'));
    expect(tail.lines()).toEqual(['step 10', 'step 20']);
  });
});
