/**
 * What of a request is still unread: a lower-case copy in which each extractor blanks out what it
 * understood, so the next one cannot read the same words again (the "200" of "200 GB disk" is
 * not a price, the "80GB" of "A100 80GB" is not a memory filter). Blanking keeps every offset, so
 * `original` still gives the case-preserved text at the same positions (Docker image tags,
 * upper-case country codes).
 */
export class UnreadText {
  readonly original: string;
  private masked: string;

  constructor(text: string) {
    const lower = text.toLowerCase();
    // A few characters change length when lower-cased; then offsets into the original would drift.
    this.original = lower.length === text.length ? text : lower;
    this.masked = lower;
  }

  get text(): string {
    return this.masked;
  }

  /** The text at [start, end) as the user wrote it (case and GPU names kept), for quoting back. */
  written(start: number, end: number): string {
    return this.original.slice(start, end).trim();
  }

  /** Blanks [start, end), optionally leaving a marker (such as "§g" for a GPU) at its start. */
  consume(start: number, end: number, marker = ''): void {
    const width = end - start;
    this.masked =
      this.masked.slice(0, start) + marker.slice(0, width).padEnd(width, ' ') + this.masked.slice(end);
  }

  /**
   * Runs a global regex over what is left and hands each match to `accept`; matches it accepts
   * (returns true for) are consumed. Matches are collected first so consuming cannot shift them.
   */
  take(pattern: RegExp, accept: (match: RegExpExecArray) => boolean): void {
    pattern.lastIndex = 0;
    const matches: RegExpExecArray[] = [];
    for (let m = pattern.exec(this.masked); m !== null; m = pattern.exec(this.masked)) {
      matches.push(m);
      if (m[0] === '') pattern.lastIndex++;
    }
    for (const m of matches) {
      if (accept(m)) this.consume(m.index, m.index + m[0].length);
    }
  }
}

/** The marker a recognised GPU name leaves in the unread text, so counts can find "2x §g". */
export const GPU_MARK = '§g';
