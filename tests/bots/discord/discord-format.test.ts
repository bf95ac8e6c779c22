import { describe, expect, it } from 'vitest';
import {
  DISCORD_LIMITS,
  type DiscordMessagePayload,
  decodeDiscordText,
  discordButtons,
  ERROR_COLOUR,
  readDiscordButtonId,
  toDiscordMessages,
} from '../../../src/bots/discord/discord-format.ts';
import { renderTable } from '../../../src/format/text.ts';

const FENCE_LINE = /^```[\w+#.-]*$/;
const NOTE = '_… (full answer attached as gpuops-answer.txt)_';

function fenceLines(text: string): number {
  return text.split('\n').filter((line) => FENCE_LINE.test(line)).length;
}

function contents(messages: DiscordMessagePayload[]): string[] {
  return messages.map((m) => m.content);
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

function instancesTable(rows: number): string {
  return renderTable(
    ['id', 'gpu', 'state', 'price', 'where', 'owner'],
    Array.from({ length: rows }, (_, i) => [
      `i-${i + 1}`,
      `${(i % 4) + 1}x RTX 4090`,
      i % 3 ? 'running' : 'paused',
      '$0.450/hr',
      'Texas, US',
      'alice',
    ]),
  );
}

describe('decoding what Discord delivers', () => {
  const names = {
    botUserId: '900',
    botRoleId: '901',
    users: new Map([['123', 'alice']]),
    channels: new Map([['77', 'ml-team']]),
    roles: new Map([['55', 'oncall']]),
  };

  it('drops the mention that addresses the bot at the start of a message, in each of its forms', () => {
    expect(decodeDiscordText('<@900> deploy a 4090 under $0.50/hr', names)).toBe(
      'deploy a 4090 under $0.50/hr',
    );
    expect(decodeDiscordText('<@!900>, list my instances', names)).toBe('list my instances');
    expect(decodeDiscordText('<@&901> status of i-3', names)).toBe('status of i-3');
    expect(decodeDiscordText('destroy i-3 <@900>', names)).toBe('destroy i-3');
  });

  it('keeps a mention of the bot in the middle of a sentence, as a name', () => {
    expect(
      decodeDiscordText('is <@900> still renting i-3?', { ...names, users: new Map([['900', 'gpuops']]) }),
    ).toBe('is @gpuops still renting i-3?');
  });

  it.each([
    ['deploy for <@123>', 'deploy for @alice'],
    ['deploy for <@!123>', 'deploy for @alice'],
    ['deploy for <@456>', 'deploy for @456'],
    ['post it in <#77>', 'post it in #ml-team'],
    ['post it in <#78>', 'post it in #78'],
    ['tell <@&55>', 'tell @oncall'],
    ['ship it <:rocket_gpu:112233> <a:spin:445566>', 'ship it :rocket_gpu: :spin:'],
    ['destroy it <t:1700000000:R>', 'destroy it 2023-11-14T22:13:20Z'],
    ['destroy it <t:1700000000>', 'destroy it 2023-11-14T22:13:20Z'],
    ['try </deploy:998877>', 'try /deploy'],
  ])('%s → %s', (input, plain) => {
    expect(decodeDiscordText(input, names)).toBe(plain);
  });

  it('leaves text without entities alone, apart from spacing', () => {
    for (const text of ['deploy 2x A100 under $1.20/hr in EU', 'status of i-3', 'is 8 GB <= 24 GB? <3']) {
      expect(decodeDiscordText(text, names)).toBe(text);
    }
    expect(decodeDiscordText('  deploy\n\ta  4090  ')).toBe('deploy a 4090');
  });
});

describe('Discord messages from gpuops text', () => {
  it('sends a short reply as one message that pings nobody', () => {
    expect(toDiscordMessages({ kind: 'reply', text: 'Destroying i-3. Operation op-7.' })).toEqual([
      { content: 'Destroying i-3. Operation op-7.', allowedMentions: { parse: [] } },
    ]);
  });

  it("turns gpuops's *bold* into Discord's **bold**, leaving code, arithmetic and **bold** alone", () => {
    const text = '*Llama 3 70B* · 2*3*4 · **cheap** · `*as is*`\n```\n*in code*\n```';
    expect(contents(toDiscordMessages({ kind: 'reply', text }))).toEqual([
      '**Llama 3 70B** · 2*3*4 · **cheap** · `*as is*`\n```\n*in code*\n```',
    ]);
  });

  it('puts an unfenced table in a code block', () => {
    const table = renderTable(['id', 'gpu'], [['i-1', '1x 4090']]);
    expect(contents(toDiscordMessages({ kind: 'reply', text: `1 instance:\n${table}` }))).toEqual([
      `1 instance:\n\`\`\`\n${table}\n\`\`\``,
    ]);
    expect(contents(toDiscordMessages({ kind: 'reply', text: table }, { monospace: true }))).toEqual([
      `\`\`\`\n${table}\n\`\`\``,
    ]);
  });

  it('splits a table over messages at line boundaries, reopening the fence and the header', () => {
    const table = instancesTable(80);
    const text = `80 instances, 53 billing:\n\`\`\`\n${table}\n\`\`\`\nSay "status of i-1" for details.`;
    expect(text.length).toBeGreaterThan(4000);

    const messages = contents(toDiscordMessages({ kind: 'reply', text }));
    expect(messages).toHaveLength(3);
    for (const message of messages) {
      expect(message.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
      expect(fenceLines(message) % 2).toBe(0);
    }
    expect(messages[1]!.split('\n').slice(0, 3)).toEqual(['```', ...table.split('\n').slice(0, 2)]);
    const lines = messages.flatMap((m) => m.split('\n'));
    for (const row of table.split('\n').slice(2)) expect(lines).toContain(row);
    expect(messages[2]!.endsWith('Say "status of i-1" for details.')).toBe(true);
  });

  it('keeps a language hint when it reopens a fence', () => {
    const code = Array.from({ length: 120 }, (_, i) => `const line${i} = ${'x'.repeat(20)};`).join('\n');
    const messages = contents(toDiscordMessages({ kind: 'reply', text: `\`\`\`ts\n${code}\n\`\`\`` }));
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(message).toMatch(/^```ts\n[\s\S]*\n```$/);
  });

  it('beyond three messages, attaches the whole answer as a file and says so', () => {
    const text = `500 instances:\n\`\`\`\n${instancesTable(500)}\n\`\`\``;
    const messages = toDiscordMessages({ kind: 'reply', text });
    expect(messages).toHaveLength(3);
    for (const message of messages) {
      expect(message.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
      expect(fenceLines(message.content) % 2).toBe(0);
    }
    expect(messages[2]!.content.endsWith(`\n${NOTE}`)).toBe(true);
    expect(messages[2]!.file).toEqual({ name: 'gpuops-answer.txt', content: text });
    expect(messages.slice(0, 2).every((m) => m.file === undefined)).toBe(true);

    const one = toDiscordMessages({ kind: 'reply', text }, { maxMessages: 1, fileName: 'instances.txt' });
    expect(one).toHaveLength(1);
    expect(one[0]!.file?.name).toBe('instances.txt');
    expect(() => toDiscordMessages({ kind: 'reply', text }, { maxMessages: 0 })).toThrow(/maxMessages/);
  });

  it('cuts even a line that is one enormous grapheme (a heap of combining marks)', () => {
    const zalgo = `g${'\u0301'.repeat(4500)}`;
    const messages = contents(toDiscordMessages({ kind: 'reply', text: `${zalgo}\nthe end` }));
    expect(messages.every((m) => m.length <= DISCORD_LIMITS.content)).toBe(true);
    expect(messages.join('').replace(/\n/g, '')).toBe(`${zalgo}the end`);
  });

  it('shows an error in a red embed, or as plain messages when it is too long for one', () => {
    expect(toDiscordMessages({ kind: 'error', text: '⚠️ No 4090 offers under $0.20/hr.' })).toEqual([
      {
        content: '',
        embeds: [{ color: ERROR_COLOUR, description: '⚠️ No 4090 offers under $0.20/hr.' }],
        allowedMentions: { parse: [] },
      },
    ]);
    const long = toDiscordMessages({ kind: 'error', text: `⚠️ ${'provider said no. '.repeat(300)}` });
    expect(long.length).toBeGreaterThan(1);
    expect(long.every((m) => m.embeds === undefined && m.content.length <= DISCORD_LIMITS.content)).toBe(
      true,
    );
  });

  it('keeps progress to one message that fits, since it is edited in place', () => {
    const line = '⏳ deploy i-3 · pulling image (2/4) ████████░░░░░░░░░░░░ 40% · 1:12';
    expect(contents(toDiscordMessages({ kind: 'progress', text: line }))).toEqual([line]);

    const long = toDiscordMessages({
      kind: 'progress',
      text: `${line} · ${'layer 3f2a done, '.repeat(300)}`,
    });
    expect(long).toHaveLength(1);
    expect(long[0]!.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(long[0]!.content.startsWith(line)).toBe(true);
    expect(long[0]!.content.endsWith('…')).toBe(true);
    expect(long[0]!.file).toBeUndefined();
  });

  it('never exceeds 2000 characters nor leaves a fence open, whatever the answer (seeded)', () => {
    const random = seeded(1_700_000_000);
    for (let run = 0; run < 300; run++) {
      const text = randomAnswer(random, Math.floor(random() * 12_000));
      const maxMessages = 1 + Math.floor(random() * 4);
      const kind = (['reply', 'error', 'progress'] as const)[Math.floor(random() * 3)]!;
      const messages = toDiscordMessages({ kind, text }, { maxMessages });
      const case_ = `run ${run}, ${kind}, ${text.length} characters, ${maxMessages} messages`;
      expect(messages.length, case_).toBeGreaterThanOrEqual(1);
      expect(messages.length, case_).toBeLessThanOrEqual(kind === 'progress' ? 1 : maxMessages);
      for (const message of messages) {
        expect(message.content.length, case_).toBeLessThanOrEqual(DISCORD_LIMITS.content);
        expect(fenceLines(message.content) % 2, case_).toBe(0);
        for (const embed of message.embeds ?? []) {
          expect(embed.description!.length, case_).toBeLessThanOrEqual(DISCORD_LIMITS.embedDescription);
          expect(fenceLines(embed.description!) % 2, case_).toBe(0);
        }
      }
      expect(messages.filter((m) => m.file).length, case_).toBeLessThanOrEqual(1);
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
      line = inFence ? '```' : random() < 0.5 ? '```' : '```python';
      inFence = !inFence;
    } else if (shape < 0.2) {
      line = '';
    } else if (shape < 0.5) {
      line = `i-${Math.floor(random() * 99)}   1x 4090   running   $0.450/hr   *Texas*`;
    } else if (shape < 0.6) {
      line = 'x'.repeat(Math.floor(random() * 5000));
    } else if (shape < 0.7) {
      line = '✅ ⚠️ ❌ 🕓 👩‍👩‍👧 '.repeat(Math.floor(random() * 300));
    } else {
      line = '*word* '.repeat(Math.floor(random() * 400)).trim();
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

describe('Discord buttons', () => {
  it('builds an action row of buttons in API shape, carrying each value in the custom_id', () => {
    const row = discordButtons([
      { id: 'confirm', label: 'Destroy i-3', style: 'danger', value: 'c-42' },
      { id: 'deploy', label: 'Deploy it', style: 'primary', value: 'rec-9' },
      { id: 'cancel', label: 'Keep it', value: 'c-42' },
    ]);
    expect(row).toEqual({
      type: 1,
      components: [
        { type: 2, style: 4, custom_id: 'confirm:c-42', label: 'Destroy i-3' },
        { type: 2, style: 1, custom_id: 'deploy:rec-9', label: 'Deploy it' },
        { type: 2, style: 2, custom_id: 'cancel:c-42', label: 'Keep it' },
      ],
    });
    expect(readDiscordButtonId('confirm:c-42')).toEqual({ id: 'confirm', value: 'c-42' });
    expect(readDiscordButtonId('deploy:a:b')).toEqual({ id: 'deploy', value: 'a:b' });
  });

  it('refuses what Discord would reject, with a clear error, and shortens long labels', () => {
    const button = (id: string, value = 'v') => ({ id, label: 'Go', value });
    expect(() => discordButtons(Array.from({ length: 6 }, (_, i) => button(`b${i}`)))).toThrow(
      /1 to 5 buttons, got 6/,
    );
    expect(() => discordButtons([])).toThrow(/got 0/);
    expect(() => discordButtons([button('x'.repeat(90), 'y'.repeat(10))])).toThrow(
      /101 characters, over Discord's 100/,
    );
    expect(() => discordButtons([button('a:b')])).toThrow(/without ":"/);
    expect(() => discordButtons([button('same'), button('same')])).toThrow(/"same:v" used twice/);

    const [only] = discordButtons([{ id: 'a', label: 'L'.repeat(120), value: 'v' }]).components;
    expect(only!.label).toHaveLength(DISCORD_LIMITS.buttonLabel);
    expect(only!.label!.endsWith('…')).toBe(true);
  });
});
