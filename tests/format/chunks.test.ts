import { describe, expect, it } from 'vitest';
import {
  type ChunkStyle,
  FENCE,
  fitOne,
  mapProse,
  packSegments,
  parseSegments,
  truncate,
} from '../../src/format/chunks.ts';
import { renderTable } from '../../src/format/text.ts';

const plain: ChunkStyle = { measure: (text) => text.length, fenceOpener: (lang) => `${FENCE}${lang}` };

function openFences(chunk: string): number {
  return chunk.split('\n').filter((line) => /^```[\w+#.-]*$/.test(line)).length % 2;
}

describe('parseSegments', () => {
  it('splits prose from fenced code and keeps the language hint', () => {
    expect(parseSegments('hi\n```ts\nconst a = 1;\n```\nbye', {})).toEqual([
      { code: false, lang: '', lines: ['hi'] },
      { code: true, lang: 'ts', lines: ['const a = 1;'] },
      { code: false, lang: '', lines: ['bye'] },
    ]);
  });

  it('runs an unclosed fence to the end of the text', () => {
    expect(parseSegments('```\na\nb', {})).toEqual([{ code: true, lang: '', lines: ['a', 'b'] }]);
  });

  it('fences an aligned table found in prose, unless told not to', () => {
    const text = `Offers:\n${renderTable(['gpu', 'price'], [['A100', '$1.10/hr']])}`;
    expect(parseSegments(text, {}).map((s) => s.code)).toEqual([false, true]);
    expect(parseSegments(text, { detectTables: false }).map((s) => s.code)).toEqual([false]);
  });

  it('makes monospace text one code segment without its fence lines', () => {
    expect(parseSegments('```\na\n```', { monospace: true })).toEqual([
      { code: true, lang: '', lines: ['a'] },
    ]);
  });
});

describe('packSegments', () => {
  it('closes a split code block and reopens it, with the table header, in the next chunk', () => {
    const table = renderTable(
      ['gpu', 'price'],
      Array.from({ length: 40 }, (_, i) => [`gpu-${i}`, `$${i}.00/hr`]),
    );
    const packed = packSegments(parseSegments(table, {}), { ...plain, limitOf: () => 200 });
    expect(packed.complete).toBe(true);
    expect(packed.chunks.length).toBeGreaterThan(1);
    for (const chunk of packed.chunks) {
      expect(chunk.length).toBeLessThanOrEqual(200);
      expect(openFences(chunk)).toBe(0);
      expect(chunk.split('\n').slice(1, 3)).toEqual(table.split('\n').slice(0, 2));
    }
  });

  it('cuts a line longer than a chunk, preferring a space', () => {
    const packed = packSegments(parseSegments('word '.repeat(30).trim(), {}), {
      ...plain,
      limitOf: () => 40,
    });
    expect(packed.complete).toBe(true);
    expect(packed.chunks.every((c) => c.length <= 40)).toBe(true);
    expect(packed.chunks.join('')).toBe('word '.repeat(30).trim());
  });

  it('reports an incomplete prefix when the chunk count runs out', () => {
    const packed = packSegments(parseSegments('a\nb\nc', {}), { ...plain, limitOf: () => 1, maxChunks: 2 });
    expect(packed).toEqual({ chunks: ['a', 'b'], complete: false });
  });
});

describe('fitOne', () => {
  it('returns the whole text when it fits and ends with an ellipsis when it does not', () => {
    expect(fitOne(parseSegments('short', {}), 100, plain)).toBe('short');
    const cut = fitOne(parseSegments('one\ntwo\nthree', {}), 9, plain);
    expect(cut).toBe('one\ntwo…');
  });

  it('puts the ellipsis after a closed fence on its own line', () => {
    const cut = fitOne(parseSegments('```\naaaa\nbbbb\ncccc\n```', {}), 20, plain);
    expect(cut.endsWith(`${FENCE}\n…`)).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(20);
  });
});

describe('mapProse and truncate', () => {
  it('transforms prose outside inline code and leaves code segments alone', () => {
    const upper = (text: string) => text.toUpperCase();
    const [prose, code] = parseSegments('a `b` c\n```\nd\n```', {}).map((s) => mapProse(s, upper));
    expect(prose?.lines).toEqual(['A `b` C']);
    expect(code?.lines).toEqual(['d']);
  });

  it('cuts a label between graphemes, ending with an ellipsis', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate('👍🏽👍🏽👍🏽', 5)).toBe('👍🏽…');
  });
});
