import { type Scratch, tidy } from './text.ts';
import type { Extraction } from './types.ts';

/** Disk size for a deploy: "200 GB disk", "200gb storage", "disk 100", "1TB NVMe", "disk: 500". */

const DISK_WORD = '(?:disk|storage|ssd|nvme|hdd|drive|volume)';
const SIZE = String.raw`(\d+(?:\.\d+)?)\s*(tb|tib|terabytes?|t|gb|gib|gigabytes?|gigs?|g)?`;

// Here the unit is required: in "4090 disk 500" the number before "disk" is a GPU.
const SIZE_THEN_WORD = new RegExp(
  String.raw`\b(\d+(?:\.\d+)?)\s*(tb|tib|terabytes?|t|gb|gib|gigabytes?|gigs?|g)\s*(?:of\s+)?(?:local\s+|free\s+|disk\s+)?${DISK_WORD}(?:\s+(?:space|size))?\b`,
  'g',
);
const WORD_THEN_SIZE = new RegExp(
  String.raw`\b${DISK_WORD}(?:\s+(?:space|size))?\s*(?:of|:|=|at|with|to|is|size)?\s*${SIZE}\b`,
  'g',
);

const MAX_DISK_GB = 20_000;

export function extractDisk(scratch: Scratch, out: Extraction): void {
  for (const pattern of [SIZE_THEN_WORD, WORD_THEN_SIZE]) {
    scratch.take(pattern, (m) => {
      const amount = Number(m[1]);
      const unit = m[2];
      // "disk 2" is too small to be meant as GBs; leave it alone rather than guess.
      if (unit === undefined && amount < 10) return false;
      if (out.diskGb !== undefined) return true;
      const gb = unit?.startsWith('t') ? amount * 1000 : amount;
      if (!(gb >= 1 && gb <= MAX_DISK_GB)) {
        out.problems.push({
          field: 'disk',
          message: `A disk of ${m[0].trim()} is out of range: the disk can be 1 to ${MAX_DISK_GB.toLocaleString('en-US')} GB.`,
        });
        return true;
      }
      out.diskGb = Math.round(tidy(gb));
      return true;
    });
  }
}
