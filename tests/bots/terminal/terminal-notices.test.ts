import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNotice, listNotices } from '../../../db/repositories/notices.ts';
import { runTerminalChat } from '../../../src/bots/terminal/terminal-chat.ts';
import { startTestGpuops, type TestGpuops } from '../../support/gpuops-harness.ts';
import { waitFor } from '../../support/index.ts';

describe('notices in the terminal chat', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres' });
  });
  afterAll(async () => {
    await g?.close();
  });

  it("shows what the reconciler left for the chat's channel, once, and not other channels' notices", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = '';
    output.on('data', (d: Buffer) => {
      printed += d.toString();
    });
    const chat = runTerminalChat({
      chat: g.runtime.chat!,
      context: { user: 'alice', channel: 'terminal', replyTo: { surface: 'terminal', channel: 'terminal' } },
      input,
      output: output as unknown as NodeJS.WriteStream,
      banner: 'gpuops',
      notices: g.runtime.notices!,
    });
    const db = g.runtime.database.db;
    await addNotice(db, {
      channel: 'terminal',
      reply_to: null,
      instance_id: 3,
      text: 'i-3 was running, but its machine is gone.',
    });
    await addNotice(db, {
      channel: 'elsewhere',
      reply_to: null,
      instance_id: 4,
      text: "i-4 is somebody else's news.",
    });
    await waitFor(() => printed.includes('⚠️ i-3 was running, but its machine is gone.'), {
      timeoutMs: 10_000,
    });
    input.end();
    await chat;
    expect(printed).not.toContain('i-4');
    expect(printed.split('i-3 was running').length - 1).toBe(1);
    const [mine] = await listNotices(db, 'terminal');
    expect(mine!.delivered_at).toBeInstanceOf(Date);
    const [theirs] = await listNotices(db, 'elsewhere');
    expect(theirs!.delivered_at).toBeNull();
  });
});
