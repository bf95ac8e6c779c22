/**
 * The folders a vast.ai image offers that a simulated instance has elsewhere. vast.ai's images keep
 * their work in /workspace, and gpuops snapshots and restores that folder by default. A simulated
 * instance runs its commands on the simulator's own file system, where /workspace does not exist
 * and cannot be made without root, so the command lines it is given (SSH exec, onstart) have the
 * container path replaced by the instance's folder, quoted for wherever it stands in the line.
 * Only command lines are mapped: a script file that names /workspace inside it is not, nor are the
 * lines typed into an interactive shell.
 */

export type PathMounts = ReadonlyArray<readonly [containerPath: string, hostPath: string]>;

/** What may stand before a path for it to be a word of its own: `cd /workspace`, `-C'/workspace'`, `x=/workspace`. */
const BEFORE = new Set([' ', '\t', '\n', '=', ':', ';', '|', '&', '(', ')', '<', '>', '`', "'", '"']);
/** What may follow it: the end, a deeper path, or the end of the word. */
const AFTER = new Set(['/', ' ', '\t', '\n', ':', ';', '|', '&', '(', ')', '<', '>', '`', "'", '"']);

const SAFE_UNQUOTED = /^[A-Za-z0-9_./+,@%:=-]*$/;

type Quote = 'none' | 'single' | 'double';

function quoted(hostPath: string, quote: Quote): string {
  if (quote === 'single') return hostPath.replace(/'/g, `'\\''`);
  if (quote === 'double') return hostPath.replace(/[\\"$`]/g, (c) => `\\${c}`);
  return SAFE_UNQUOTED.test(hostPath)
    ? hostPath
    : hostPath.replace(/[^A-Za-z0-9_./+,@%:=-]/g, (c) => `\\${c}`);
}

function mountAt(
  command: string,
  i: number,
  mounts: PathMounts,
  closedQuoteAt: number,
): readonly [string, string] | undefined {
  const before = i === 0 ? undefined : command[i - 1];
  if (before !== undefined && !BEFORE.has(before)) return undefined;
  // `'abc'/workspace` is the relative path abc/workspace.
  if (closedQuoteAt === i - 1) return undefined;
  for (const mount of mounts) {
    const [containerPath] = mount;
    if (!command.startsWith(containerPath, i)) continue;
    const after = command[i + containerPath.length];
    if (after === undefined || AFTER.has(after)) return mount;
  }
  return undefined;
}

/**
 * `command` with every container path that stands as a path of its own (`/workspace`,
 * `'/workspace/a b'`, `x=/workspace`, but not `/workspaces` or `a/workspace`) replaced by its host
 * folder, escaped for the quoting it stands in, so any folder name reaches the command intact.
 */
export function mapContainerPaths(command: string, mounts: PathMounts): string {
  if (mounts.length === 0) return command;
  let out = '';
  let quote: Quote = 'none';
  let closedQuoteAt = -2;
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (quote !== 'single' && c === '\\') {
      // An escaped character is never the start of a path, nor a quote.
      out += command.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '/') {
      const mount = mountAt(command, i, mounts, closedQuoteAt);
      if (mount) {
        out += quoted(mount[1], quote);
        i += mount[0].length;
        continue;
      }
    }
    const closes = (c === "'" && quote === 'single') || (c === '"' && quote === 'double');
    if (closes) {
      quote = 'none';
      closedQuoteAt = i;
    } else if (quote === 'none' && (c === "'" || c === '"')) {
      quote = c === "'" ? 'single' : 'double';
    }
    out += c;
    i++;
  }
  return out;
}
