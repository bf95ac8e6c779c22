import { jobRef } from '../../domain/jobs.ts';
import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * Job ids: "j-4", "job 4", "job #4", "job number 4", "j-4, j-5 and j-6", in the order written and
 * without duplicates. They are read before instance ids, so "job 4" or "job id 4" never names i-4.
 * What follows the prefix is read whole: "j-1.5" or "j-4x" is refused rather than cut to "j-1".
 */

const WRITTEN_ID = /(?<![\w-])(j-\d[\w.]*)/g;
const AFTER_NOUN =
  /\bjobs?\s*(?:#|no\.?\s*|number\s+|id\s+)?(\d[\w.]*)(?!\s*(?:x\b|gb|gpus?|cards?|hours?|hrs?|h\b|minutes?|mins?|days?|%|\$|times|retries|epochs?))/g;
// More ids after the first: ", j-5", " and j-6", " & 7".
const CONTINUATION = /^\s*(?:,|&|\+|\band\b|\bor\b)\s*(?:j-|#)?(\d[\w.]*)/;
const MAX_ID_DIGITS = 9;

export function extractJobs(unread: UnreadText, out: Extraction): void {
  for (const pattern of [WRITTEN_ID, AFTER_NOUN]) {
    unread.take(pattern, (m) => {
      addId(out, m[1]!);
      let end = m.index + m[0].length;
      for (
        let c = CONTINUATION.exec(unread.text.slice(end));
        c;
        c = CONTINUATION.exec(unread.text.slice(end))
      ) {
        addId(out, c[1]!);
        end += c[0].length;
      }
      unread.consume(m.index, end);
      return false;
    });
  }
}

function addId(out: Extraction, written: string): void {
  const digits = written.replace(/^j-/, '').replace(/[.,]$/, '');
  if (!/^\d+$/.test(digits) || digits.replace(/^0+(?=\d)/, '').length > MAX_ID_DIGITS) {
    if (!out.problems.some((p) => p.field === 'job')) {
      out.problems.push({
        field: 'job',
        message: `"${written}" is not a job id I can use: job ids are "j-" and up to ${MAX_ID_DIGITS} digits, e.g. "j-4". Say "list my jobs" to see yours.`,
      });
    }
    return;
  }
  const id = jobRef(Number(digits));
  if (!out.jobs.includes(id)) out.jobs.push(id);
}
