import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * Snapshot ids: "snap-3", "snap-3, snap-4 and snap-5", in the order written and without
 * duplicates. An id longer than the schema takes ("snap-1234567890") is a problem, not cut short.
 */

const SNAPSHOT_ID = /(?<![\w-])snap-(\d+)(\w*)/g;
const MAX_ID_DIGITS = 9;

export function extractSnapshots(unread: UnreadText, out: Extraction): void {
  unread.take(SNAPSHOT_ID, (m) => {
    const digits = m[1]!.replace(/^0+(?=\d)/, '');
    if (m[2] !== '' || digits.length > MAX_ID_DIGITS) {
      if (!out.problems.some((p) => p.field === 'snapshot')) {
        out.problems.push({
          field: 'snapshot',
          message: `"${m[0]}" is not a snapshot id I can use: ids are "snap-" and up to ${MAX_ID_DIGITS} digits, e.g. "snap-3". Say "list snapshots" to see yours.`,
        });
      }
      return true;
    }
    const id = `snap-${digits}`;
    if (!out.snapshots.includes(id)) out.snapshots.push(id);
    return true;
  });
}
