/**
 * Fence-aware splitting of chat-neutral text: prose and ``` fenced code (with unfenced aligned
 * tables found and fenced), packed into chunks within a platform's limits, each chunk closing
 * every fence it opens. Chat platforms bring their own measure and fence style; nothing here
 * knows any platform.
 */

/** A run of the message: prose lines, or lines shown monospace inside a ``` fence. */
export interface Segment {
  code: boolean;
  /** The fence's language hint ("ts" of "```ts"); empty when none. */
  lang: string;
  lines: string[];
}

export const FENCE = '```';
/** A fence alone on its line, with at most a one-word language hint. */
const FENCE_LINE = /^\s*```([\w+#.-]*)\s*$/;

export interface SegmentOptions {
  /** The whole text is monospace (a table): one code segment, its own fence lines dropped. */
  monospace?: boolean;
  /** Finds unfenced aligned tables in prose and makes them code segments (default true). */
  detectTables?: boolean;
}

/** The text as prose and code segments; ``` fences bound the segments and are not kept as lines. */
export function parseSegments(text: string, options: SegmentOptions): Segment[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (options.monospace) {
    return [{ code: true, lang: '', lines: lines.filter((line) => !FENCE_LINE.test(line)) }];
  }
  const segments: Segment[] = [];
  let prose: string[] = [];
  let code: Segment | undefined;
  const flushProse = () => {
    if (prose.length > 0) segments.push(...splitOutTables(prose, options.detectTables ?? true));
    prose = [];
  };
  for (const line of lines) {
    const fence = FENCE_LINE.exec(line);
    if (code && fence && fence[1] === '') {
      segments.push(code);
      code = undefined;
    } else if (code) {
      code.lines.push(line);
    } else if (fence) {
      flushProse();
      code = { code: true, lang: fence[1] ?? '', lines: [] };
    } else {
      prose.push(line);
    }
  }
  flushProse();
  if (code) segments.push(code); // an unclosed fence runs to the end, as chat clients show it
  return segments.filter((s) => s.lines.length > 0);
}

/** Prose with aligned tables (renderTable's output, box drawings, pipe tables) moved into code segments. */
function splitOutTables(lines: string[], detect: boolean): Segment[] {
  if (!detect) return [{ code: false, lang: '', lines }];
  const segments: Segment[] = [];
  let start = 0;
  while (start < lines.length) {
    let end = start;
    while (end < lines.length && isTableLike(lines[end]!)) end++;
    const run = lines.slice(start, end);
    if (looksLikeTable(run)) {
      segments.push({ code: true, lang: '', lines: run });
      start = end;
    } else {
      appendProse(segments, lines[start]!);
      start++;
    }
  }
  return segments;
}

function appendProse(segments: Segment[], line: string): void {
  const last = segments.at(-1);
  if (last && !last.code) last.lines.push(line);
  else segments.push({ code: false, lang: '', lines: [line] });
}

/** Two or more table-like lines with a rule under a header, box drawing, or every line in 3+ columns. */
function looksLikeTable(run: string[]): boolean {
  if (run.length < 2) return false;
  return run.some((l) => isRuleLine(l) || BOX_DRAWING.test(l)) || run.every((l) => columnGaps(l) >= 2);
}

const BOX_DRAWING = /[\u2500-\u257f]/;

function isTableLike(line: string): boolean {
  return BOX_DRAWING.test(line) || isRuleLine(line) || /^\s*\|.*\|\s*$/.test(line) || columnGaps(line) >= 1;
}

/** `----  ---` under a header (renderTable), `|---|---|` (Markdown), `═══` and the like. */
function isRuleLine(line: string): boolean {
  return /^[\s\-=+|:\u2500-\u257f]+$/.test(line) && (line.match(/[-=\u2500-\u257f]/g) ?? []).length >= 2;
}

/** Runs of 2+ spaces between text: the column gaps of an aligned table. */
function columnGaps(line: string): number {
  return (line.match(/\S {2,}(?=\S)/g) ?? []).length;
}

/** Applies `transform` to a prose segment's text outside `inline code`; code segments pass unchanged. */
export function mapProse(segment: Segment, transform: (text: string) => string): Segment {
  if (segment.code) return segment;
  return { ...segment, lines: segment.lines.map((line) => outsideInlineCode(line, transform)) };
}

/** Applies `transform` to the parts of a line outside `inline code`. */
function outsideInlineCode(line: string, transform: (text: string) => string): string {
  return line
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 0 ? transform(part) : part))
    .join('');
}

export interface PackOptions {
  /** Most characters (as `measure` counts them) in chunk `index`. */
  limitOf(index: number): number;
  maxChunks?: number;
  /** Most characters in all chunks together. */
  maxTotal?: number;
  measure(text: string): number;
  fenceOpener(lang: string): string;
}

/** How a platform counts characters and opens a fence: what packing needs beside the limits. */
export type ChunkStyle = Pick<PackOptions, 'measure' | 'fenceOpener'>;

export interface Packed {
  /** Each chunk is self-contained: every fence it opens, it closes. */
  chunks: string[];
  /** False when the limits stopped it early; the chunks are then a prefix of the text. */
  complete: boolean;
}

/** One line of the message; `block` tells code lines of different fences apart (-1: prose). */
interface Item {
  text: string;
  block: number;
  lang: string;
  /** A table's header and rule, shown again where a chunk reopens the table below them. */
  header?: string[];
}

const CLOSING_COST = 1 + FENCE.length; // "\n```"

/**
 * Packs whole lines into chunks, cutting between lines; a code block cut in two is closed at the
 * end of one chunk and reopened at the start of the next. Only a line longer than a whole chunk is
 * itself cut, at a space when there is one late enough.
 */
export function packSegments(segments: Segment[], options: PackOptions): Packed {
  const items = segments.flatMap((segment, i) => itemsOf(segment, i, options));
  const chunks: string[] = [];
  let emitted = 0;
  let chunk = new ChunkBuilder(options);
  const finish = () => {
    const text = chunk.finish();
    if (text) {
      chunks.push(text);
      emitted += options.measure(text);
    }
    chunk = new ChunkBuilder(options);
  };
  for (let i = 0; i < items.length; ) {
    const item = items[i]!;
    if (chunk.isEmpty && isBlankProse(item)) {
      i++; // a chunk never starts with blank lines
      continue;
    }
    if (chunks.length >= (options.maxChunks ?? Number.POSITIVE_INFINITY)) {
      return { chunks, complete: items.slice(i).every(isBlankProse) };
    }
    const ownLimit = options.limitOf(chunks.length);
    const limit = Math.min(ownLimit, (options.maxTotal ?? Number.POSITIVE_INFINITY) - emitted);
    if (chunk.tryAppend(item, limit)) {
      i++;
    } else if (!chunk.isEmpty) {
      finish();
    } else if (limit < ownLimit && chunks.length > 0) {
      return { chunks, complete: false }; // the total ran out: stop at a line, never mid-line
    } else {
      const pieces = splitLongLine(item, limit - chunk.overheadOf(item), options.measure);
      if (pieces.length < 2) return { chunks, complete: false }; // not even one grapheme fits
      items.splice(i, 1, ...pieces);
    }
  }
  finish();
  return { chunks, complete: true };
}

function itemsOf(segment: Segment, block: number, options: PackOptions): Item[] {
  if (!segment.code) return segment.lines.map((text) => ({ text, block: -1, lang: '' }));
  const header = tableHeader(segment.lines, options);
  return segment.lines.map((text, i) => ({
    text,
    block,
    lang: segment.lang,
    ...(header && i >= header.length && { header }),
  }));
}

/** A table's first line and the rule under it, when they are short enough to repeat in each chunk. */
function tableHeader(lines: string[], options: PackOptions): string[] | undefined {
  const [title, rule] = lines;
  if (title === undefined || rule === undefined || !title.trim() || !isRuleLine(rule)) return undefined;
  const size = options.measure(title) + options.measure(rule) + 2;
  return size <= options.limitOf(0) / 4 ? [title, rule] : undefined;
}

function isBlankProse(item: Item): boolean {
  return item.block === -1 && item.text.trim() === '';
}

/** The lines of one chunk, with the size it will have once its open fence is closed. */
class ChunkBuilder {
  private readonly lines: string[] = [];
  private size = 0;
  private openBlock = -1;

  constructor(private readonly options: PackOptions) {}

  get isEmpty(): boolean {
    return this.lines.length === 0;
  }

  /** What an item needs beside its own text in an empty chunk: its fence, opened and closed. */
  overheadOf(item: Item): number {
    if (item.block === -1) return 0;
    const opening = [this.options.fenceOpener(item.lang), ...(item.header ?? [])];
    return opening.reduce((sum, line) => sum + this.options.measure(line) + 1, CLOSING_COST);
  }

  tryAppend(item: Item, limit: number): boolean {
    const added = this.linesFor(item);
    const addedSize = added.reduce(
      (sum, line, i) => sum + this.options.measure(line) + (this.isEmpty && i === 0 ? 0 : 1),
      0,
    );
    const closing = item.block === -1 ? 0 : CLOSING_COST;
    if (this.size + addedSize + closing > limit) return false;
    this.lines.push(...added);
    this.size += addedSize;
    this.openBlock = item.block;
    return true;
  }

  finish(): string {
    if (this.openBlock !== -1) this.lines.push(FENCE);
    while (this.lines.length > 0 && this.lines.at(-1)!.trim() === '') this.lines.pop();
    return this.lines.join('\n');
  }

  /** The item's line, preceded by the fences (and table header) that leave one block and enter another. */
  private linesFor(item: Item): string[] {
    if (item.block === this.openBlock) return [item.text];
    const close = this.openBlock === -1 ? [] : [FENCE];
    const open = item.block === -1 ? [] : [this.options.fenceOpener(item.lang), ...(item.header ?? [])];
    return [...close, ...open, item.text];
  }
}

/**
 * Cuts a line into pieces of at most `room`, between graphemes (never inside an emoji); only a
 * grapheme longer than a piece (a heap of combining marks) is cut between its code points.
 */
function splitLongLine(item: Item, room: number, measure: (text: string) => number): Item[] {
  const pieces: string[] = [];
  let piece = '';
  let pieceSize = 0;
  const units = graphemes(item.text).flatMap((g) => (measure(g) > room ? Array.from(g) : [g]));
  for (const grapheme of units) {
    const size = measure(grapheme);
    if (pieceSize + size > room && piece) {
      const [kept, carried] = cutAtLastSpace(piece, room);
      pieces.push(kept);
      piece = carried;
      pieceSize = measure(carried);
    }
    piece += grapheme;
    pieceSize += size;
  }
  if (piece) pieces.push(piece);
  return pieces.map((text) => ({ ...item, text }));
}

/** Prefers to cut a too-long piece after its last space, when that keeps at least half of it. */
function cutAtLastSpace(piece: string, room: number): [string, string] {
  const space = piece.lastIndexOf(' ');
  return space >= room / 2 ? [piece.slice(0, space + 1), piece.slice(space + 1)] : [piece, ''];
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

function graphemes(text: string): string[] {
  // Below U+0300 (where combining marks start) every character stands alone; the segmenter is
  // slow enough on long lines that the common case is worth skipping it.
  if (/^[\0-\u02ff]*$/.test(text)) return text.split('');
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** The text in one chunk of at most `limit`, ending with an ellipsis when something was left out. */
export function fitOne(segments: Segment[], limit: number, style: ChunkStyle): string {
  const pack = (room: number) => packSegments(segments, { ...style, limitOf: () => room, maxChunks: 1 });
  const whole = pack(limit);
  if (whole.complete) return whole.chunks[0] ?? '';
  const cut = pack(limit - 2).chunks[0] ?? '';
  return cut.endsWith(FENCE) ? `${cut}\n…` : `${cut}…`;
}

/** Cuts plain text (a label) to `max` characters, ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = '';
  for (const grapheme of graphemes(text)) {
    if (kept.length + grapheme.length > max - 1) break;
    kept += grapheme;
  }
  return `${kept}…`;
}
