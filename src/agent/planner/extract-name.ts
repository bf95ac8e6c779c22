import type { Extraction } from './types.ts';
import type { UnreadText } from './unread-text.ts';

/**
 * A name given to what is made: "called before-upgrade", "named nightly", 'as "v2"'. Kept as
 * written (case too); a name the tools cannot store exactly ("a/../b") is a problem, never cut.
 */

const NAMED = /\b(?:called|named|labell?ed|tagged|as)\s+(?:(["'])([^"']*)\1|([\w.-]+))/g;
const STORABLE = /^[\w.-]{1,60}$/;

export function extractName(unread: UnreadText, out: Extraction): void {
  unread.take(NAMED, (m) => {
    const quoted = m[2];
    // "as" names only in quotes: "as fast as possible" names nothing.
    if (quoted === undefined && m[0].startsWith('as')) return false;
    if (out.name !== undefined) return false;
    const start = m.index + m[0].length - (quoted === undefined ? m[3]!.length : quoted.length + 1);
    const written = unread.original.slice(start, start + (quoted ?? m[3]!).length);
    if (!STORABLE.test(written)) {
      out.problems.push({
        field: 'name',
        message: `"${written}" can't be used as a name: names are letters, digits, ".", "_" or "-", up to 60. Nothing was done.`,
      });
      return true;
    }
    out.name = written;
    return true;
  });
}
