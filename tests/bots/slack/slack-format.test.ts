import { describe, expect, it } from 'vitest';
import {
  decodeSlackText,
  escapeSlackText,
  SLACK_LIMITS,
  type SlackMessage,
  slackButtons,
  slackContext,
  toSlackMessage,
} from '../../../src/bots/slack/slack-format.ts';
import { renderTable } from '../../../src/format/text.ts';

const FENCE_LINE = /^```[\w+#.-]*$/;

function sectionTexts(message: SlackMessage): string[] {
  return message.blocks.map((block) => {
    if (block.type !== 'section' || !block.text) throw new Error(`not a text section: ${block.type}`);
    return block.text.text;
  });
}

function fenceLines(text: string): number {
  return text.split('\n').filter((line) => FENCE_LINE.test(line)).length;
}

/** A seeded generator (mulberry32), so a failing case can be run again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function offersTable(rows: number): string {
  return renderTable(
    ['#', 'gpu', '$/hr', 'where', 'reliab.'],
    Array.from({ length: rows }, (_, i) => [
      String(i + 1),
      `${(i % 8) + 1}x RTX 4090`,
      (0.3 + i / 1000).toFixed(3),
      i % 2 ? 'Norway' : 'Texas, US',
      `${(99 - (i % 5) / 10).toFixed(1)}%`,
    ]),
  );
}

describe('decoding what Slack delivers', () => {
  it('drops the mention that addresses the bot at the start of a message', () => {
    expect(decodeSlackText('<@UBOT> deploy a 4090 under $0.50/hr', { botUserId: 'UBOT' })).toBe(
      'deploy a 4090 under $0.50/hr',
    );
    expect(decodeSlackText('<@UBOT|gpuops>:   list my instances', { botUserId: 'UBOT' })).toBe(
      'list my instances',
    );
  });

  it('drops a closing mention of the bot too, but keeps one in the middle of a sentence as a name', () => {
    expect(decodeSlackText('destroy i-3 <@UBOT>', { botUserId: 'UBOT' })).toBe('destroy i-3');
    expect(decodeSlackText('is <@UBOT> still renting i-3?', { botUserId: 'UBOT' })).toBe(
      'is @UBOT still renting i-3?',
    );
    expect(decodeSlackText('ask <@UBOT|gpuops> for a 4090', { botUserId: 'UBOT' })).toBe(
      'ask @gpuops for a 4090',
    );
  });

  it.each([
    ['deploy for <@U123>', 'deploy for @U123'],
    ['deploy for <@U123|alice>', 'deploy for @alice'],
    ['post it in <#C1|ml>', 'post it in #ml'],
    ['post it in <#C1>', 'post it in #C1'],
    ['post it in <#C1|>', 'post it in #C1'],
    ['<!here> i-3 is up', '@here i-3 is up'],
    ['<!channel> spend alert', '@channel spend alert'],
    ['tell <!subteam^S1|@ml-team>', 'tell @ml-team'],
    ['image from <https://hub.docker.com/r/vllm|vllm>', 'image from vllm'],
    ['image from <https://hub.docker.com/r/vllm>', 'image from https://hub.docker.com/r/vllm'],
    ['mail <mailto:a@b.io|a@b.io>', 'mail a@b.io'],
    ['A &amp; B &lt;3 &gt; C', 'A & B <3 > C'],
    ['literally &amp;lt;', 'literally &lt;'],
  ])('%s → %s', (input, plain) => {
    expect(decodeSlackText(input, { botUserId: 'UBOT' })).toBe(plain);
  });

  it('leaves text without entities alone, apart from spacing', () => {
    for (const text of ['deploy 2x A100 under $1.20/hr in EU', 'status of i-3', 'is 8 GB <= 24 GB?']) {
      expect(decodeSlackText(text)).toBe(text);
    }
    expect(decodeSlackText('  deploy\n\ta  4090  ')).toBe('deploy a 4090');
  });
});

describe('Slack messages from gpuops text', () => {
  it('escapes what mrkdwn would read as markup, in sections and fallback alike', () => {
    expect(escapeSlackText('A & B <GPU> > C')).toBe('A &amp; B &lt;GPU&gt; &gt; C');
    const message = toSlackMessage({ kind: 'reply', text: 'Say "deploy the <GPU> option instead" & go' });
    expect(sectionTexts(message)).toEqual(['Say "deploy the &lt;GPU&gt; option instead" &amp; go']);
    expect(message.text).toBe('Say "deploy the &lt;GPU&gt; option instead" &amp; go');
    expect(message.file).toBeUndefined();
  });

  it("keeps gpuops's *bold* and turns Markdown **bold** into Slack's", () => {
    const message = toSlackMessage({ kind: 'reply', text: '*Llama 3 70B* · **cheapest** · `**as is**`' });
    expect(sectionTexts(message)).toEqual(['*Llama 3 70B* · *cheapest* · `**as is**`']);
  });

  it('puts an unfenced table in a code block, and leaves prose with double spaces as prose', () => {
    const table = renderTable(['id', 'gpu', 'state'], [['i-1', '1x 4090', 'running']]);
    const [text] = sectionTexts(
      toSlackMessage({ kind: 'reply', text: `1 instance:\n${table}\nThat's all.` }),
    );
    expect(text).toBe(`1 instance:\n\`\`\`\n${table}\n\`\`\`\nThat's all.`);

    const prose = 'Done.  Next up:  the reconciler.';
    expect(sectionTexts(toSlackMessage({ kind: 'reply', text: prose }))).toEqual([prose]);
  });

  it('drops a language hint, which Slack would show as code', () => {
    const [text] = sectionTexts(
      toSlackMessage({ kind: 'reply', text: '```bash\nssh -p 4022 root@1.2.3.4\n```' }),
    );
    expect(text).toBe('```\nssh -p 4022 root@1.2.3.4\n```');
  });

  it('splits a 10,000-character table answer into sections of at most 3000 with balanced fences', () => {
    const table = offersTable(240);
    const text = `240 offers:\n\`\`\`\n${table}\n\`\`\`\nCheapest: 1x RTX 4090 at $0.300/hr in Texas, US.`;
    expect(text.length).toBeGreaterThan(10_000);
    expect(text.length).toBeLessThan(12_000);

    const message = toSlackMessage({ kind: 'reply', text });
    const sections = sectionTexts(message);
    expect(sections.length).toBeGreaterThanOrEqual(4);
    for (const section of sections) {
      expect(section.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(fenceLines(section) % 2).toBe(0);
    }
    // Every row arrives, in order, and each continued table starts with its header again.
    const rows = sections.flatMap((s) => s.split('\n')).filter((line) => /^\d+ +\d+x /.test(line));
    expect(rows.map((row) => row.split(' ')[0])).toEqual(
      Array.from({ length: 240 }, (_, i) => String(i + 1)),
    );
    for (const section of sections.slice(1)) expect(section.split('\n').slice(0, 2)[1]).toMatch(/^#\s+gpu/);
    expect(message.file).toBeUndefined();
  });

  it('cuts a 50,000-character answer short and hands back the whole of it as a file', () => {
    const text = `Every offer:\n\`\`\`\n${offersTable(1200)}\n\`\`\`\nSay "deploy 1x RTX 4090" to rent one.`;
    expect(text.length).toBeGreaterThan(50_000);

    const message = toSlackMessage({ kind: 'reply', text });
    const sections = sectionTexts(message);
    expect(sections.at(-1)).toBe('_… (full answer attached as gpuops-answer.txt)_');
    expect(sections.join('').length).toBeLessThanOrEqual(12_000);
    for (const section of sections) {
      expect(section.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(fenceLines(section) % 2).toBe(0);
    }
    expect(sections[0]).toMatch(/^Every offer:\n```\n#\s+gpu/);
    expect(message.file).toEqual({ filename: 'gpuops-answer.txt', content: text });
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    expect(message.text.endsWith('…')).toBe(true);
  });

  it('takes its length limit and file name from the options', () => {
    const text = offersTable(100);
    const message = toSlackMessage({ kind: 'reply', text }, { maxChars: 2000, fileName: 'offers.txt' });
    expect(sectionTexts(message).join('').length).toBeLessThanOrEqual(2000);
    expect(message.file?.filename).toBe('offers.txt');
    expect(toSlackMessage({ kind: 'reply', text }, { maxChars: 100_000 }).file).toBeUndefined();
  });

  it('stays within 50 blocks, leaving room for buttons, however long the answer may be', () => {
    const message = toSlackMessage({ kind: 'reply', text: offersTable(5000) }, { maxChars: 1_000_000 });
    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks - 2);
    expect(message.file).toBeDefined();
  });

  it('cuts a line longer than a section, counting escapes, without breaking an escape or an emoji', () => {
    const text = `${'&'.repeat(700)}${'⚠️'.repeat(500)}${'x'.repeat(2000)}`;
    const message = toSlackMessage({ kind: 'reply', text });
    const sections = sectionTexts(message);
    for (const section of sections) expect(section.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const decoded = sections.join('').replace(/&amp;/g, '&');
    expect(decoded).toBe(text);
  });

  it('keeps progress to one section, since it is edited in place', () => {
    const line = '⏳ deploy i-3 · pulling image (2/4) ████████░░░░░░░░░░░░ 40% · 1:12';
    expect(sectionTexts(toSlackMessage({ kind: 'progress', text: line }))).toEqual([line]);

    const long = toSlackMessage({ kind: 'progress', text: `${line} · ${'layer 3f2a '.repeat(600)}` });
    const sections = sectionTexts(long);
    expect(sections).toHaveLength(1);
    expect(sections[0]!.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(sections[0]!.endsWith('…')).toBe(true);
    expect(long.file).toBeUndefined();
  });

  it('shows an error as its text', () => {
    const message = toSlackMessage({ kind: 'error', text: '⚠️ No 4090 offers under $0.20/hr right now.' });
    expect(sectionTexts(message)).toEqual(['⚠️ No 4090 offers under $0.20/hr right now.']);
  });

  it('never exceeds a limit, and never leaves a fence open, whatever the answer (seeded)', () => {
    const random = seeded(20_240_611);
    for (let run = 0; run < 150; run++) {
      const text = randomAnswer(random, Math.floor(random() * 30_000));
      const maxChars = 3000 + Math.floor(random() * 20_000);
      const message = toSlackMessage({ kind: 'reply', text }, { maxChars });
      const sections = sectionTexts(message);
      expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
      expect(fenceLines(message.text) % 2).toBe(0);
      expect(sections.join('').length).toBeLessThanOrEqual(maxChars);
      for (const section of sections) {
        expect(section.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        expect(fenceLines(section) % 2).toBe(0);
      }
    }
  });
});

/** Lines of the shapes gpuops writes: prose, tables, fenced blocks, long unbroken lines, emoji, blanks. */
function randomAnswer(random: () => number, length: number): string {
  const lines: string[] = [];
  let size = 0;
  let inFence = false;
  while (size < length) {
    const shape = random();
    let line: string;
    if (shape < 0.1) {
      line = inFence ? '```' : random() < 0.5 ? '```' : '```ts';
      inFence = !inFence;
    } else if (shape < 0.2) {
      line = '';
    } else if (shape < 0.5) {
      line = `i-${Math.floor(random() * 99)}   1x 4090   running   $0.450/hr   <Texas> & co`;
    } else if (shape < 0.6) {
      line = 'x'.repeat(Math.floor(random() * 5000));
    } else if (shape < 0.7) {
      line = '✅ ⚠️ ❌ 🕓 '.repeat(Math.floor(random() * 300));
    } else {
      line = 'word '.repeat(Math.floor(random() * 400)).trim();
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

describe('Slack buttons and context', () => {
  it('builds an actions block of buttons', () => {
    expect(
      slackButtons([
        { id: 'confirm', label: 'Destroy i-3', style: 'danger', value: 'c-42' },
        { id: 'cancel', label: 'Keep it', value: 'c-42' },
      ]),
    ).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'confirm',
          text: { type: 'plain_text', text: 'Destroy i-3', emoji: true },
          value: 'c-42',
          style: 'danger',
        },
        {
          type: 'button',
          action_id: 'cancel',
          text: { type: 'plain_text', text: 'Keep it', emoji: true },
          value: 'c-42',
        },
      ],
    });
  });

  it('refuses what Slack would reject, with a clear error, and shortens long labels', () => {
    const button = (id: string) => ({ id, label: 'Go', value: 'v' });
    expect(() => slackButtons(Array.from({ length: 26 }, (_, i) => button(`b${i}`)))).toThrow(
      /1 to 25, got 26/,
    );
    expect(() => slackButtons([])).toThrow(/got 0/);
    expect(() => slackButtons([button('x'.repeat(256))])).toThrow(/id must be 1 to 255 characters/);
    expect(() => slackButtons([button('same'), button('same')])).toThrow(/"same" used twice/);
    expect(() => slackButtons([{ id: 'a', label: 'Go', value: 'v'.repeat(2001) }])).toThrow(
      /value over 2000/,
    );

    const [element] = slackButtons([{ id: 'a', label: 'L'.repeat(100), value: 'v' }]).elements;
    const label = element?.type === 'button' ? element.text.text : '';
    expect(label).toHaveLength(SLACK_LIMITS.buttonLabel);
    expect(label.endsWith('…')).toBe(true);
  });

  it('builds an escaped context block', () => {
    expect(slackContext('asked by <alice> · op-7')).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'asked by &lt;alice&gt; · op-7' }],
    });
  });
});
