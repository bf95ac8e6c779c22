import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { jobRef } from '../../domain/jobs.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/**
 * A job's log in storage: the bytes its machine wrote, as chunk objects under `jobs/j-4/log/`,
 * each named by the offset of its first byte. The log only grows, so a chunk never changes once
 * written except by the same bytes written again (a retried flush, or a worker that took the job
 * over and re-reads the machine's log from the offset it last recorded): readers trim overlaps.
 */

/** 16 digits: offsets up to 10^16 bytes, and keys sort as numbers do. */
const OFFSET_DIGITS = 16;
const CHUNK_NAME = /^(\d{16})$/;

export function jobLogPrefix(jobId: number): string {
  return `jobs/${jobRef(jobId)}/log/`;
}

function chunkKey(jobId: number, offset: number): string {
  return `${jobLogPrefix(jobId)}${String(offset).padStart(OFFSET_DIGITS, '0')}`;
}

function assertJobId(jobId: number): void {
  if (!Number.isSafeInteger(jobId) || jobId < 1) {
    throw new GpuopsError(ErrorCode.Internal, `A job id must be a positive integer, not ${jobId}.`);
  }
}

/**
 * Appends to a job's log in storage as chunk objects keyed by their start offset (16-digit zero
 * padded); writing the same offset again overwrites it with the same bytes, so a retried flush is
 * harmless.
 */
export class JobLogWriter {
  private readonly store: ObjectStore;
  private readonly jobId: number;
  private stored: number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Flushes run one after another: two at once would both write at the same offset. */
  private queue: Promise<unknown> = Promise.resolve();

  /** `storedBytes`: how much of the log is in storage already (0 for a new job). */
  constructor(store: ObjectStore, jobId: number, storedBytes: number) {
    assertJobId(jobId);
    if (!Number.isSafeInteger(storedBytes) || storedBytes < 0) {
      throw new GpuopsError(
        ErrorCode.Internal,
        `A job log's stored length must be a count of bytes, not ${storedBytes}.`,
      );
    }
    this.store = store;
    this.jobId = jobId;
    this.stored = storedBytes;
  }

  /** Buffers `bytes` in memory until the next flush. */
  append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingLength += bytes.length;
  }

  get pendingBytes(): number {
    return this.pendingLength;
  }

  /** Bytes safely in storage. */
  get storedBytes(): number {
    return this.stored;
  }

  /**
   * Uploads the pending bytes as one chunk and returns storedBytes; a no-op when nothing is
   * pending. On failure the bytes stay pending, so the next flush writes them at the same offset
   * (with whatever was appended since).
   */
  flush(): Promise<number> {
    const run = this.queue.then(() => this.flushPending());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async flushPending(): Promise<number> {
    if (this.pendingLength === 0) return this.stored;
    // Bytes appended while this upload is under way stay pending for the next flush.
    const taken = this.pending.length;
    const body = taken === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [body];
    await this.store.put(chunkKey(this.jobId, this.stored), body);
    this.pending.splice(0, 1);
    this.pendingLength -= body.length;
    this.stored += body.length;
    return this.stored;
  }
}

interface StoredChunk {
  key: string;
  offset: number;
  /** As listed: a chunk being rewritten by a retried flush may have grown by the time it is read. */
  size: number;
}

async function listChunks(store: ObjectStore, jobId: number): Promise<StoredChunk[]> {
  assertJobId(jobId);
  const prefix = jobLogPrefix(jobId);
  const chunks: StoredChunk[] = [];
  for (const object of await store.listWithSizes(prefix)) {
    const name = CHUNK_NAME.exec(object.key.slice(prefix.length))?.[1];
    // Anything else under the prefix is not ours to read (a tool's leftovers, a future format).
    if (name === undefined) continue;
    chunks.push({ key: object.key, offset: Number(name), size: object.size });
  }
  return chunks.sort((a, b) => a.offset - b.offset);
}

function gapError(jobId: number, from: number, to: number): GpuopsError {
  return new GpuopsError(
    ErrorCode.StorageFailed,
    `${jobRef(jobId)}'s log in storage is missing bytes ${from} to ${to - 1} (the chunk after them starts at offset ${to}). Its objects under ${jobLogPrefix(jobId)} were deleted or never written; the rest of the log is still there.`,
    { details: { jobId, missingFrom: from, missingTo: to } },
  );
}

async function readChunk(store: ObjectStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await store.get(key)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * Streams the whole log into `out`, chunks in offset order; a chunk that overlaps what was
 * written is trimmed; a gap is an error (GpuopsError StorageFailed naming the offsets). `out` is
 * left open (it may be stdout).
 */
export async function readJobLog(
  store: ObjectStore,
  jobId: number,
  out: NodeJS.WritableStream,
): Promise<{ bytes: number }> {
  let position = 0;
  for (const chunk of await listChunks(store, jobId)) {
    if (chunk.offset > position) throw gapError(jobId, position, chunk.offset);
    // Read even when the listing says the chunk ends before `position`: it may have grown since.
    // Streamed, so a large chunk never sits in memory whole.
    let at = chunk.offset;
    for await (const part of await store.get(chunk.key)) {
      const bytes = part as Buffer;
      const end = at + bytes.length;
      if (end > position) {
        if (!out.write(bytes.subarray(Math.max(0, position - at)))) {
          await once(out as NodeJS.EventEmitter, 'drain');
        }
        position = end;
      }
      at = end;
    }
  }
  return { bytes: position };
}

/** The last `maxBytes` of the log (reads only the last chunks needed). */
export async function readJobLogTail(store: ObjectStore, jobId: number, maxBytes: number): Promise<Buffer> {
  if (maxBytes <= 0) return Buffer.alloc(0);
  const chunks = await listChunks(store, jobId);
  // Which chunk holds which bytes, from the listed sizes: each chunk supplies what runs past the
  // ones before it; one wholly covered by earlier chunks supplies nothing.
  const supplying: Array<{ chunk: StoredChunk; from: number; to: number }> = [];
  let position = 0;
  for (const chunk of chunks) {
    if (chunk.offset > position) throw gapError(jobId, position, chunk.offset);
    const end = chunk.offset + chunk.size;
    if (end <= position) continue;
    supplying.push({ chunk, from: position, to: end });
    position = end;
  }
  const start = Math.max(0, position - maxBytes);
  const needed = supplying.filter((part) => part.to > start);
  const bodies = await Promise.all(needed.map((part) => readChunk(store, part.chunk.key)));
  const pieces: Buffer[] = [];
  let at = start;
  for (const [i, part] of needed.entries()) {
    const body = bodies[i] as Buffer;
    const end = part.chunk.offset + body.length;
    if (end <= at) continue;
    pieces.push(body.subarray(at - part.chunk.offset));
    at = end;
  }
  const tail = Buffer.concat(pieces);
  // A chunk that grew after the listing may have brought more than asked for.
  return tail.length > maxBytes ? tail.subarray(tail.length - maxBytes) : tail;
}

const MAX_LINE_CHARS = 400;
/** An escape string (OSC, DCS…) that never ends is dropped after this many characters. */
const MAX_ESCAPE_CHARS = 4_096;

type EscapeState = 'none' | 'escape' | 'csi' | 'string' | 'string-escape';

/**
 * The last lines of a stream of output as a terminal would show them: a carriage return starts
 * the line over (tqdm's progress bars redraw that way), escape sequences (colours, cursor moves,
 * titles) and other control characters are dropped, and very long lines are cut.
 */
export class OutputTail {
  private readonly maxLines: number;
  private readonly decoder = new StringDecoder('utf8');
  private readonly done: string[] = [];
  private current = '';
  /** A carriage return was seen: the next character other than a newline starts the line over. */
  private returned = false;
  private escape: EscapeState = 'none';
  private escapeLength = 0;

  constructor(maxLines = 20, initial?: string) {
    this.maxLines = Math.max(1, Math.floor(maxLines));
    if (initial) this.write(initial);
  }

  /** More output; a UTF-8 character or escape sequence split between pushes is joined up. */
  push(bytes: Buffer): void {
    this.write(this.decoder.write(bytes));
  }

  /** Completed lines plus the current partial line when not empty, at most maxLines. */
  lines(): string[] {
    const all = this.current === '' ? [...this.done] : [...this.done, shown(this.current)];
    return all.slice(-this.maxLines);
  }

  text(): string {
    return this.lines().join('\n');
  }

  private write(text: string): void {
    for (const char of text) {
      if (this.escape !== 'none') {
        this.continueEscape(char);
        continue;
      }
      if (char === '\n') {
        this.endLine();
        continue;
      }
      if (char === '\r') {
        this.returned = true;
        continue;
      }
      if (char === '\x1b' || char === '\x9b') {
        this.escape = char === '\x9b' ? 'csi' : 'escape';
        this.escapeLength = 0;
        continue;
      }
      if (char === '\b') {
        if (!this.returned) this.current = this.current.slice(0, -1);
        continue;
      }
      const code = char.codePointAt(0) ?? 0;
      if (char !== '\t' && (code < 0x20 || (code >= 0x7f && code <= 0x9f))) continue;
      if (this.returned) {
        this.current = '';
        this.returned = false;
      }
      // One past the limit is kept, so the line is known to be cut.
      if (this.current.length <= MAX_LINE_CHARS) this.current += char;
    }
  }

  private endLine(): void {
    this.done.push(shown(this.current));
    if (this.done.length > this.maxLines) this.done.shift();
    this.current = '';
    this.returned = false;
  }

  private continueEscape(char: string): void {
    this.escapeLength++;
    const code = char.codePointAt(0) ?? 0;
    switch (this.escape) {
      case 'escape':
        if (char === '[') this.escape = 'csi';
        else if (char === ']' || char === 'P' || char === 'X' || char === '^' || char === '_')
          this.escape = 'string';
        else this.escape = 'none';
        return;
      case 'csi':
        // Parameters and intermediates (0x20–0x3f) until the final byte (0x40–0x7e).
        if (code < 0x20 || code > 0x3f) this.escape = 'none';
        if (char === '\n') this.endLine();
        return;
      case 'string':
        if (char === '\x07' || this.escapeLength > MAX_ESCAPE_CHARS) this.escape = 'none';
        else if (char === '\x1b') this.escape = 'string-escape';
        return;
      case 'string-escape':
        this.escape = char === '\\' ? 'none' : 'string';
        return;
      default:
        this.escape = 'none';
    }
  }
}

function shown(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  // Never leave half a surrogate pair before the ellipsis.
  const cut = /[\ud800-\udbff]/.test(line.charAt(MAX_LINE_CHARS - 1)) ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
  return `${line.slice(0, cut)}…`;
}
