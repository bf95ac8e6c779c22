/**
 * `text` as one word of a POSIX shell command line, whatever it holds (quotes, `$`, backticks,
 * newlines): single quotes keep everything literal, and a single quote itself is closed, escaped
 * and reopened.
 */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
