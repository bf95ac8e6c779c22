import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../src/agent/chat-surface.ts';
import { DISCORD_LIMITS, toDiscordMessages } from '../../src/bots/discord/discord-format.ts';
import { OUTPUT_LINE_MAX_CHARS, renderProgress } from '../../src/bots/render.ts';
import { SLACK_LIMITS, toSlackMessage } from '../../src/bots/slack/slack-format.ts';
import { TerminalSurface } from '../../src/bots/terminal/terminal-surface.ts';
import { JOB_STEPS, type ProgressView, stepProgress } from '../../src/jobs/queue/progress.ts';

const STARTED = Date.UTC(2026, 11, 3, 12, 0, 0);
const NOW = STARTED + 12 * 60_000 + 3_000;
const RUNNING_STEP = JOB_STEPS.run_job.indexOf('Running the command');

function runningJob(output: string[], costSoFar = 0.42): ProgressView {
  return stepProgress(
    { operationId: 'op-1', kind: 'run_job', startedAt: STARTED, instance: 'i-3' },
    RUNNING_STEP,
    'j-4',
    0.5,
    { output, costSoFar },
  );
}

/** The progress message as the follower posts it. */
function progressMessage(view: ProgressView): OutgoingMessage {
  return { kind: 'progress', text: renderProgress(view, NOW), progress: view };
}

const FENCE_LINE = /^```[\w+#.-]*$/;
const fenceLines = (text: string) => text.split('\n').filter((line) => FENCE_LINE.test(line)).length;

/** What a job may print to make trouble in chat. */
const HOSTILE = [
  'epoch 1 loss 2.31',
  '```',
  'now outside the block? <!channel> <!here|here> <@U024BE7LH> @everyone @here <@&123456> <#987>',
  '``` js',
  '`rm -rf /` && echo 1 < 2 > 0',
  'x'.repeat(10_000),
  'epoch 3 loss 0.42 (newest)',
];

/** Many lines, so only the newest fit: each names its number. */
const MANY = Array.from(
  { length: 400 },
  (_, i) => `step ${i + 1}/400 loss ${(3 - i / 200).toFixed(3)} & <ok>`,
);

function slackText(view: ProgressView): string {
  const message = toSlackMessage(progressMessage(view));
  expect(message.blocks).toHaveLength(1);
  const [block] = message.blocks;
  if (block?.type !== 'section' || !block.text) throw new Error('not a text section');
  return block.text.text;
}

function discordContent(view: ProgressView): string {
  const payloads = toDiscordMessages(progressMessage(view));
  expect(payloads).toHaveLength(1);
  expect(payloads[0]!.allowedMentions).toEqual({ parse: [] });
  return payloads[0]!.content;
}

function terminalPrint(view: ProgressView): Promise<string> {
  const out = new PassThrough();
  let printed = '';
  out.on('data', (d: Buffer) => {
    printed += d.toString();
  });
  const surface = new TerminalSurface({ out, inPlace: false, confirm: async () => false });
  return surface.post(progressMessage(view)).then(() => printed);
}

describe("a running job's progress message", () => {
  it('shows the step, the elapsed time, the cost so far and the last lines', () => {
    const text = renderProgress(runningJob(['loading data', 'epoch 1 loss 2.31']), NOW);
    const [head, ...rest] = text.split('\n');
    expect(head).toContain('Running the command (6/8)');
    expect(head).toContain('12:03');
    expect(head).toContain('$0.42 so far');
    expect(head).toContain('j-4');
    expect(rest).toEqual(['```', 'loading data', 'epoch 1 loss 2.31', '```']);
  });

  it('says a fraction of a cent as such, and leaves out the cost of a view that has none', () => {
    expect(renderProgress(runningJob([], 0.004), NOW)).toContain('$0.004 so far');
    const { costSoFar: _, ...noCost } = runningJob([]);
    expect(renderProgress(noCost, NOW)).not.toContain('so far');
    expect(renderProgress(runningJob([]), NOW)).not.toContain('```');
  });

  it('shows what a carriage-return progress bar shows last, not every redraw', () => {
    const text = renderProgress(runningJob(['10%|█   |\r50%|███ |\r100%|████|\r']), NOW);
    expect(text.split('\n')[2]).toBe('100%|████|');
  });
});

describe('on Slack', () => {
  it('keeps hostile output inside one code block where it mentions nobody', () => {
    const text = slackText(runningJob(HOSTILE));
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(fenceLines(text)).toBe(2);
    expect(text.split('\n').at(-1)).toBe('```');
    expect(text.split('\n').at(-2)).toBe('epoch 3 loss 0.42 (newest)');
    // Between its own fences, no backtick run that could close the block.
    expect(text.split('\n').slice(2, -1).join('\n')).not.toContain('`');
    // Slack's entities are what mention people; none is left to read.
    expect(text).not.toMatch(/<[!@#]/);
    expect(text).toContain('&lt;\u200b!channel&gt;');
    expect(text).toContain('1 &lt; 2 &gt; 0');
  });

  it('cuts long output to its newest lines, within a section', () => {
    const text = slackText(runningJob(MANY));
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(fenceLines(text)).toBe(2);
    const lines = text.split('\n');
    expect(lines.at(-2)).toContain('step 400/400');
    expect(lines[2]).toMatch(/^… \d+ earlier lines$/);
    const firstShown = Number(/step (\d+)\//.exec(lines[3]!)![1]);
    const skipped = Number(/… (\d+) earlier/.exec(lines[2]!)![1]);
    expect(skipped).toBe(firstShown - 1);
  });

  it('cuts a very long line instead of losing the lines after it', () => {
    const text = slackText(runningJob(['x'.repeat(50_000), 'after the long line']));
    expect(text).toContain(`${'x'.repeat(OUTPUT_LINE_MAX_CHARS - 1)}…`);
    expect(text.split('\n').at(-2)).toBe('after the long line');
  });
});

describe('on Discord', () => {
  it('keeps hostile output inside one code block where it mentions nobody', () => {
    const content = discordContent(runningJob(HOSTILE));
    expect(content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(fenceLines(content)).toBe(2);
    const inside = content.split('\n').slice(2, -1).join('\n');
    expect(inside).not.toContain('`');
    expect(content.split('\n').at(-2)).toBe('epoch 3 loss 0.42 (newest)');
    expect(content).not.toMatch(/@(everyone|here)/);
    expect(content).not.toMatch(/<[@#!]/);
    expect(content).toContain('@\u200beveryone');
  });

  it('cuts long output to its newest lines, within one message', () => {
    const content = discordContent(runningJob(MANY));
    expect(content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(fenceLines(content)).toBe(2);
    expect(content.split('\n').at(-2)).toContain('step 400/400');
    expect(content).toMatch(/\n… \d+ earlier lines\n/);
  });

  it('shows the last lines of a failed job under its error', () => {
    const failed: ProgressView = {
      ...runningJob(['Traceback (most recent call last):', 'ValueError: bad shape']),
      state: 'failed',
      elapsedMs: 65_000,
      error: { code: 'job_failed', message: 'j-4 failed: its command exited with status 1.' },
    };
    const content = discordContent(failed);
    expect(content.split('\n')[0]).toBe(
      '❌ run_job i-3 failed after 1:05 [job_failed]: j-4 failed: its command exited with status 1.',
    );
    expect(content.split('\n').slice(1)).toEqual([
      '```',
      'Traceback (most recent call last):',
      'ValueError: bad shape',
      '```',
    ]);
  });
});

describe('in the terminal', () => {
  it('shows the output plainly, indented under the progress line, without a code block', async () => {
    const printed = await terminalPrint(runningJob(['loading data', '`quoted` <b>&', 'epoch 1 loss 2.31']));
    const lines = printed.trimEnd().split('\n');
    expect(lines[0]).toContain('$0.42 so far');
    expect(lines.slice(1)).toEqual(['  loading data', '  `quoted` <b>&', '  epoch 1 loss 2.31']);
    expect(printed).not.toContain('```');
  });

  it('keeps the newest lines of long output, each cut to a readable length', async () => {
    const printed = await terminalPrint(runningJob([...MANY, 'y'.repeat(20_000), 'the end']));
    const lines = printed.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('  the end');
    expect(lines.at(-2)).toBe(`  ${'y'.repeat(OUTPUT_LINE_MAX_CHARS - 1)}…`);
    expect(lines[1]).toMatch(/^ {2}… \d+ earlier lines$/);
    expect(printed.length).toBeLessThan(5_000);
  });

  it('shows a progress message without output as the follower wrote it', async () => {
    const view = runningJob([]);
    expect((await terminalPrint(view)).trimEnd()).toBe(renderProgress(view, NOW));
  });
});
