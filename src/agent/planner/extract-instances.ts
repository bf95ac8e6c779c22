import { instanceRef } from '../../domain/instance-ref.ts';
import { NUMERAL } from './numerals.ts';
import { type Extraction, emptyExtraction } from './types.ts';
import { UnreadText } from './unread-text.ts';

/**
 * Instance ids: "i-3", "I3", "#3", "instance 3", "instances 3 and 4", "i-3, i-4 and i-5",
 * "i-3 and 4". Ids are normalised to "i-<number>", the form instanceArg accepts. What follows the
 * prefix is read whole, so "i-1.5", "i-2e3" or "i-3x" is refused rather than cut to "i-1".
 */

// Units after a bare number that make it a size, price, count or time rather than an id.
const NOT_AN_ID =
  /^\s*(?:x\b|gb|tb|gpus?|cards?|%|\/|per\b|\$|¢|c\b|cents?|dollars?|bucks?|usd|hours?|hrs?|days?)/;
// An id is read whole, letters glued on included ("i-3x"): group 1 is the prefix and number, group
// 2 whatever is glued after it.
const ID = (prefix: string): string => String.raw`(${prefix}[-+]?${NUMERAL})(\w*)`;
// A number right after an instance noun ("instance 3", "ids 3 and 4"), unless a unit follows it
// ("box 24gb" is memory, not box number 24).
const AFTER_NOUN = new RegExp(
  String.raw`\b(?:instances?|machines?|box(?:es)?|servers?|vms?|nodes?|rentals?|ids?)\s*(?:#|no\.?\s*|number\s+|id\s+)?${ID('(?:i[-_]?)?')}`,
  'gd',
);
const WRITTEN_ID = new RegExp(String.raw`(?<![\w-])${ID('(?:i[-_]?|#)')}`, 'gd');
// More ids after the first: ", 4", " and i-5", " & #6".
const CONTINUATION = new RegExp(String.raw`\s*(?:,|&|\+|\band\b|\bor\b)\s*${ID('(?:i[-_]?|#)?')}`, 'yd');

const MAX_ID_DIGITS = 9;

export function extractInstances(unread: UnreadText, out: Extraction): void {
  for (const pattern of [AFTER_NOUN, WRITTEN_ID]) {
    unread.take(pattern, (m) => {
      if (isNumberWithUnit(unread, m)) return false;
      const written = [writtenId(unread, m)];
      let end = m.index + m[0].length;
      CONTINUATION.lastIndex = end;
      for (let c = CONTINUATION.exec(unread.text); c !== null; c = CONTINUATION.exec(unread.text)) {
        if (isNumberWithUnit(unread, c)) break;
        written.push(writtenId(unread, c));
        end = CONTINUATION.lastIndex;
      }
      for (const id of written) addIds(out, id);
      // Consume the continuation too, so "and 4" is not read as a count later.
      unread.consume(m.index, end);
      return false;
    });
  }
}

/** "instance 3 gpus", "and 24gb": a bare number with a unit after it is not an id. */
function isNumberWithUnit(unread: UnreadText, m: RegExpExecArray): boolean {
  return !/^[i#]/.test(m[1]!) && NOT_AN_ID.test(unread.text.slice(m.indices![1]![1]));
}

function writtenId(unread: UnreadText, m: RegExpExecArray): string {
  return unread.written(m.indices![1]![0], m.indices![2]![1]);
}

/** "i-3", "#3", "3", or "i-3,4" (a list without spaces); anything else is not an id. */
function addIds(out: Extraction, written: string): void {
  const digits = written.replace(/^(?:i[-_]?|#)/i, '');
  if (
    !/^\d+(?:,\d+)*$/.test(digits) ||
    digits.split(',').some((d) => d.replace(/^0+(?=\d)/, '').length > MAX_ID_DIGITS)
  ) {
    if (!out.problems.some((p) => p.field === 'instance')) {
      out.problems.push({
        field: 'instance',
        message: `"${written}" is not an instance id I can use: ids are "i-" and up to ${MAX_ID_DIGITS} digits, e.g. "i-3". Say "list my instances" to see yours.`,
      });
    }
    return;
  }
  for (const part of digits.split(',')) {
    // At most MAX_ID_DIGITS digits, so the number is exact.
    const id = instanceRef(Number(part));
    if (!out.instances.includes(id)) out.instances.push(id);
  }
}

/**
 * The request with each instance named as "i-<number>" ("instance 5", "#5", "I5" become "i-5"),
 * for the readers that read a whole request in their own words, so they know every way of naming
 * an instance that the shared extractor knows. Ids it cannot use are left as written.
 */
export function withInstanceIdsWritten(text: string): string {
  const unread = new UnreadText(text);
  const spans: { start: number; end: number; id: string }[] = [];
  for (const pattern of [AFTER_NOUN, WRITTEN_ID]) {
    unread.take(pattern, (m) => {
      if (isNumberWithUnit(unread, m)) return false;
      const found = emptyExtraction();
      addIds(found, writtenId(unread, m));
      const [id, ...others] = found.instances;
      if (id === undefined || others.length > 0) return false;
      spans.push({ start: m.index, end: m.index + m[0].length, id });
      return true;
    });
  }
  let result = '';
  let at = 0;
  for (const span of spans.sort((a, b) => a.start - b.start)) {
    result += `${text.slice(at, span.start)}${span.id}`;
    at = span.end;
  }
  return result + text.slice(at);
}
