import type { Scratch } from './text.ts';
import type { Extraction } from './types.ts';

/**
 * Instance ids: "i-3", "I3", "#3", "instance 3", "instances 3 and 4", "i-3, i-4 and i-5",
 * "i-3 and 4". Ids are normalised to "i-<number>", the form instanceArg accepts.
 */

// Units after a number that make it a size, price, count or time rather than an id.
const NOT_AN_ID = String.raw`\s*(?:x\b|gb|tb|gpus?|cards?|%|\.\d|\$|¢|c\b|cents?|dollars?|bucks?|usd|hours?|hrs?|days?)`;
// A number right after an instance noun ("instance 3", "ids 3 and 4"), unless a unit follows it
// ("box 24gb" is memory, not box number 24).
const AFTER_NOUN = new RegExp(
  String.raw`\b(?:instances?|machines?|box(?:es)?|servers?|vms?|nodes?|rentals?|ids?)\s*(?:#|no\.?\s*|number\s+|id\s+)?(?:i[-_]?)?(\d+)\b(?!${NOT_AN_ID})`,
  'g',
);
const WRITTEN_ID = /(?<![\w-])(?:i[-_]?|#)(\d+)\b/g;
// More ids after the first: ", 4", " and i-5", " & #6".
const CONTINUATION = new RegExp(
  String.raw`\s*(?:,|&|\+|\band\b|\bor\b)\s*(?:(?:i[-_]?|#)(\d+)\b|(\d+)\b(?!${NOT_AN_ID}))`,
  'y',
);

const MAX_ID_DIGITS = 9;

export function extractInstances(scratch: Scratch, out: Extraction): void {
  for (const pattern of [AFTER_NOUN, WRITTEN_ID]) {
    scratch.take(pattern, (m) => {
      let end = m.index + m[0].length;
      const ids = [m[1]!];
      CONTINUATION.lastIndex = end;
      for (let c = CONTINUATION.exec(scratch.text); c !== null; c = CONTINUATION.exec(scratch.text)) {
        ids.push((c[1] ?? c[2])!);
        end = CONTINUATION.lastIndex;
      }
      for (const digits of ids) addId(out, digits);
      // Consume the continuation too, so "and 4" is not read as a count later.
      scratch.consume(m.index, end);
      return false;
    });
  }
}

function addId(out: Extraction, digits: string): void {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  if (trimmed.length > MAX_ID_DIGITS) {
    out.problems.push({
      field: 'instance',
      message: `"i-${digits}" is not an instance id I can use: ids are "i-" and up to 9 digits, like i-3.`,
    });
    return;
  }
  const id = `i-${trimmed}`;
  if (!out.instances.includes(id)) out.instances.push(id);
}
