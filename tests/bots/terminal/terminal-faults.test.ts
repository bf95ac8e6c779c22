import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNotice, getNotice } from '../../../db/repositories/notices.ts';
import { runTerminalChat } from '../../../src/bots/terminal/terminal-chat.ts';
import { terminalSafe } from '../../../src/bots/terminal/terminal-text.ts';
import type { RequestContext } from '../../../src/domain/request-context.ts';
import { startTestGpuops, type TestGpuops } from '../../support/gpuops-harness.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../support/openai-stand-in.ts';
import { waitFor } from '../../support/wait.ts';

const context = (channel: string): RequestContext => ({
  user: 'alice',
  channel,
  replyTo: { surface: 'terminal', channel },
});

/** A terminal chat session on streams; `printed` is everything it wrote. */
function session(g: TestGpuops, channel: string) {
  const input = new PassThrough();
  const output = new PassThrough();
  const state = { printed: '' };
  output.on('data', (d: Buffer) => {
    state.printed += d.toString();
  });
  const done = runTerminalChat({
    chat: g.runtime.chat!,
    context: context(channel),
    input,
    output: output as unknown as NodeJS.WriteStream,
    banner: 'gpuops',
    notices: g.runtime.notices!,
  });
  return { input, output, state, done };
}

/** Anything a terminal would act on rather than show: C0 (but newline and tab), DEL, C1, bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const ACTED_ON = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('the terminal chat under faults and hostile text', () => {
  let g: TestGpuops;
  beforeAll(async () => {
    g = await startTestGpuops({ db: 'pglite', queue: 'postgres' });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('removes escape sequences, control characters and direction overrides, and keeps the words, newlines and tabs', () => {
    expect(terminalSafe('\x1b]0;owned\x07title')).toBe('title');
    expect(terminalSafe('\x1b]52;c;ZXZpbA==\x1b\\clip')).toBe('clip');
    expect(terminalSafe('\x1b[2J\x1b[1;1Hcleared')).toBe('cleared');
    expect(terminalSafe('\x9b31mred')).toBe('red');
    expect(terminalSafe('over\rwritten')).toBe('overwritten');
    expect(terminalSafe('i-\u202e3-i evil\u2066x\u2069')).toBe('i-3-i evilx');
    expect(terminalSafe('line one\n\tline two 🚀')).toBe('line one\n\tline two 🚀');
    expect(terminalSafe('a\x00b\x7fc\x85d')).toBe('abcd');
  });

  it("shows a notice's and a request's hostile text inert in the transcript", async () => {
    const s = session(g, 'terminal-hostile');
    const db = g.runtime.database.db;
    await addNotice(db, {
      channel: 'terminal-hostile',
      reply_to: null,
      instance_id: null,
      text: 'i-5 \x1b]0;owned\x07\x1b[2Jlost\r\u202e its machine\x9b31m.',
    });
    await waitFor(() => s.state.printed.includes('its machine'), { timeoutMs: 15_000, what: 'the notice' });
    s.input.write('what is \x1b[31mi-\u202e4\x1b[0m doing?\n');
    s.input.end();
    await s.done;
    expect(s.state.printed).toContain('⚠️ i-5 lost its machine.');
    expect(s.state.printed).not.toMatch(ACTED_ON);
  });

  it('keeps a notice the terminal could not show, and shows it in the next session, once', async () => {
    const db = g.runtime.database.db;
    const first = session(g, 'terminal-closed');
    // The terminal goes away (its output closed) while the session still listens for notices.
    first.output.end();
    const notice = await addNotice(db, {
      channel: 'terminal-closed',
      reply_to: null,
      instance_id: null,
      text: 'i-6 was auto-paused while nobody was looking.',
    });
    const failed = await waitFor(
      async () => {
        const row = await getNotice(db, notice.id);
        return row && row.attempts >= 1 && row.last_error ? row : undefined;
      },
      { timeoutMs: 15_000, what: 'the failed showing' },
    );
    expect(failed.delivered_at).toBeNull();
    expect(failed.last_error).toMatch(/terminal is closed/);
    first.input.end();
    await first.done;

    const second = session(g, 'terminal-closed');
    await waitFor(() => second.state.printed.includes('i-6 was auto-paused'), {
      timeoutMs: 15_000,
      what: 'the notice in the next session',
    });
    const row = await waitFor(
      async () => {
        const r = await getNotice(db, notice.id);
        return r?.delivered_at ? r : undefined;
      },
      { timeoutMs: 5_000 },
    );
    expect(row.attempts).toBe(2);
    await new Promise((r) => setTimeout(r, 2_500));
    second.input.end();
    await second.done;
    expect(second.state.printed.split('i-6 was auto-paused').length - 1).toBe(1);
  });
});

describe('the terminal chat when a request fails', () => {
  let llm: OpenAiStandIn;
  let g: TestGpuops;
  beforeAll(async () => {
    // The model fails the first request (a 500, no retries) and answers the next.
    llm = await startOpenAiStandIn((_request, index) =>
      index === 0 ? { httpError: 500 } : { content: 'Still here: ask me about GPUs.' },
    );
    g = await startTestGpuops({
      db: 'pglite',
      queue: 'postgres',
      env: {
        GPUOPS_OFFLINE: 'false',
        OPENAI_BASE_URL: llm.baseUrl,
        OPENAI_API_KEY: 'sk-local',
        GPUOPS_LLM_MODEL: 'scripted-8b',
        GPUOPS_LLM_RETRIES: '0',
      },
    });
  });
  afterAll(async () => {
    await g?.close();
    await llm?.close();
  });

  it('answers a request whose model failed with what to do, and answers the next request of the session', async () => {
    const s = session(g, 'terminal-llm');
    s.input.write('which GPU for Llama 3.1 8B?\n');
    await waitFor(() => s.state.printed.includes('⚠️'), { timeoutMs: 30_000, what: 'the failure answer' });
    s.input.write('and now?\n');
    await waitFor(() => s.state.printed.includes('Still here'), {
      timeoutMs: 30_000,
      what: 'the next answer',
    });
    s.input.end();
    await s.done;
    expect(s.state.printed).toMatch(/⚠️ .*(model|LLM|language model)/i);
  });
});
