import { NUMERAL, readAmount, withoutFloatNoise } from './numerals.ts';
import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * Disk size for a deploy: "200 GB disk", "200gb storage", "disk 100", "1TB NVMe", "disk: 500".
 * The size is read whole ("-40", ".5", "1e2", "12.5"), so one that is not a whole number of GB is
 * refused rather than trimmed to its digits.
 */

const DISK_WORD = '(?:disk|storage|ssd|nvme|hdd|drive|volume)';
const AMOUNT = `(-?${NUMERAL})`;
const UNIT = '(tb|tib|terabytes?|t|gb|gib|gigabytes?|gigs?|g)';

// Here the unit is required: in "4090 disk 500" the number before "disk" is a GPU. The size must
// not start inside another token ("a100-80gb disk").
const SIZE_THEN_WORD = new RegExp(
  String.raw`(?<![\w.,/⁄-])${AMOUNT}\s*${UNIT}\s*(?:of\s+)?(?:local\s+|free\s+|disk\s+)?${DISK_WORD}(?:\s+(?:space|size))?\b`,
  'g',
);
const WORD_THEN_SIZE = new RegExp(
  String.raw`\b${DISK_WORD}(?:\s+(?:space|size))?\s*(?:of|:|=|at|with|to|is|size)?\s*${AMOUNT}\s*${UNIT}?(?!\w)`,
  'g',
);

const MAX_DISK_GB = 20_000;

export function extractDisk(unread: UnreadText, out: Extraction): void {
  for (const pattern of [SIZE_THEN_WORD, WORD_THEN_SIZE]) {
    unread.take(pattern, (m) => {
      const amount = readAmount(m[1]!);
      const unit = m[2];
      // "disk 2" is too small to be meant as GBs; leave it alone rather than guess.
      if (unit === undefined && amount >= 0 && amount < 10) return false;
      if (out.problems.some((p) => p.field === 'disk')) return true;
      const gb = withoutFloatNoise(unit?.startsWith('t') ? amount * 1000 : amount);
      // Unreadable is asked about even after a size was read: it is never skipped in silence.
      if (Number.isInteger(gb) && out.diskGb !== undefined) return true;
      if (!(Number.isInteger(gb) && gb >= 1 && gb <= MAX_DISK_GB)) {
        out.problems.push({
          field: 'disk',
          message: `"${unread.written(m.index, m.index + m[0].length)}" is not a disk size I can use: the disk can be 1 to ${MAX_DISK_GB.toLocaleString('en-US')} GB, in whole GB, e.g. "200 GB disk".`,
        });
        return true;
      }
      out.diskGb = gb;
      return true;
    });
  }
}
