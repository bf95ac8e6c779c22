import { ErrorCode, GpuopsError } from '../../errors.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import type { SshTarget } from './ssh-client.ts';
import { SshSession } from './ssh-session.ts';

/** What gpuops asks the machine to run. */
export interface RemoteJobSpec {
  /** Shell text, run as a script file, exactly as written. */
  command: string;
  /** Folder the command starts in. Default: the login folder of the SSH user. */
  workdir?: string;
  /** Added to the login environment. Names must be valid shell variable names. */
  env?: Readonly<Record<string, string>>;
  /** `$GPUOPS_OUTPUT`, made before the command starts; relative to `workdir`. Default `output`. */
  outputDir?: string;
}

/** Where a job stands on the machine. */
export type RemoteJobState =
  | { kind: 'running' }
  /** The command ended by itself or after a cancel, with this exit status. */
  | { kind: 'exited'; code: number; cancelled: boolean }
  /**
   * The command was ended by a signal. Read from the shell's 128+N status, so a command that
   * itself exits with 128+N reads the same, as it does in any shell.
   */
  | { kind: 'killed'; signal: string; code: number; cancelled: boolean }
  /** Started, but its supervisor is gone without recording an end: the machine restarted or was stopped. */
  | { kind: 'lost' }
  /** This machine never started a job with this id (or its folder is gone). */
  | { kind: 'not_found' };

export interface RemoteJobRead {
  state: RemoteJobState;
  /** The log's bytes from the offset asked for, at most `maxReadBytes`. Not split into lines. */
  bytes: Buffer;
  /** The offset to ask for next: the one asked for plus the bytes returned. */
  nextOffset: number;
  /** The log's length when it was read. */
  logBytes: number;
  /** The job has ended and every byte of its log has been returned. */
  complete: boolean;
}

export interface RemoteJobOptions {
  /** Deadline of each SSH call (connecting included). Default 20 s; `cancel` adds its grace period. */
  timeoutMs?: number;
  /** Most log bytes one `read` returns. Default 256 KiB. */
  maxReadBytes?: number;
}

/** A command line over SSH is one argument of `sh -c`, which Linux caps at 128 KiB; the rest is ours. */
const MAX_COMMAND_BYTES = 64 * 1024;
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER = 'gpuops-job';

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/**
 * The supervisor: starts the command in a session (so a process group) of its own, records that
 * group for `cancel`, waits for it and writes its status. Fixed text: nothing of the job in it.
 */
const SUPERVISOR = `d=$1
# A start that gave up on this supervisor and was taken over has another claimant: leave it be.
[ "$(cat "$d/claim.pid" 2>/dev/null)" = "$2" ] || exit 0
echo $$ > "$d/supervisor.pid"
if command -v bash >/dev/null 2>&1; then run=bash; else run=/bin/sh; fi
# Our own children are never group leaders, so setsid does not fork and $! is the command.
setsid "$run" -c 'echo $$ > "$1/pgid.tmp" && mv -f "$1/pgid.tmp" "$1/pgid"; exec "$0" "$1/command.sh"' "$run" "$d" >>"$d/log" 2>&1 </dev/null &
wait $!
code=$?
printf '%s\\n' "$code" > "$d/status.tmp" && mv -f "$d/status.tmp" "$d/status"
`;

/** The job's folder, as shell text: `$d` in every script. */
function folderLine(id: string): string {
  return `d="\${XDG_STATE_HOME:-$HOME/.local/state}/gpuops/jobs/"${shellQuote(id)}`;
}

/**
 * Liveness that does not count zombies: an orphan whose parent never reaps it (PID 1 in many
 * containers) stays a zombie, and `kill -0` succeeds on a zombie. Reads /proc where there is one,
 * with `read` and parameter expansion only, since the cancel loop runs it ten times a second.
 * `pid_alive PID`; `group_alive PGID` (any member not a zombie).
 */
const LIVENESS = `pid_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] || return 0
  read -r line < "/proc/$1/stat" || return 1
  set -- \${line##*) }
  [ "$1" != Z ]
}
group_alive() {
  kill -0 "-$1" 2>/dev/null || return 1
  [ -r /proc/self/stat ] || return 0
  g=$1
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null < "$f" || continue
    set -- \${line##*) }
    [ "$3" = "$g" ] && [ "$1" != Z ] && return 0
  done
  return 1
}`;

/**
 * `report` prints the line every script answers with: state, exit status, log length, cancelled.
 * The status is looked at again after the liveness check: a job that ended between the two is
 * ended, not lost.
 */
const REPORT = `report() {
  if [ ! -e "$d/launched" ]; then echo '${HEADER} not_found - 0 0'; return; fi
  c=0; [ -e "$d/cancelled" ] && c=1
  if [ -f "$d/status" ]; then s="ended $(cat "$d/status")"
  elif pid_alive "$(cat "$d/supervisor.pid" 2>/dev/null)"; then s='running -'
  elif [ -f "$d/status" ]; then s="ended $(cat "$d/status")"
  else s='lost -'; fi
  n=$(wc -c < "$d/log" 2>/dev/null) || n=0
  echo "${HEADER} $s $((n + 0)) $c"
}`;

/**
 * A job's command run on an instance so that it outlives the SSH connection that started it and
 * the gpuops worker that follows it: a worker killed mid-job leaves the command running, and any
 * other worker finds it by the job's id and follows it to its end.
 *
 * Everything lives in the job's folder on the machine, `${XDG_STATE_HOME:-$HOME/.local/state}/
 * gpuops/jobs/<id>/`: outside /workspace, so snapshots never carry a job's bookkeeping to another
 * machine (where it would read as a run that never happened there), and kept across a stop and
 * start of the instance like the rest of its disk.
 *
 * - `command.sh`: the command exactly as given, written by `printf` from one single-quoted word, so no
 *   quote, `$`, backtick or newline in it is read by gpuops's own shell. It travels on the command
 *   line rather than on stdin so that a machine that rewrites command lines, as the simulator maps
 *   /workspace to an instance's folder, sees it as it would a command typed over SSH.
 * - `claim.pid`: the start that claimed the folder; a start that finds a claim whose claimant is
 *   gone, and no launch, takes it over.
 * - `log`: the command's stdout and stderr, interleaved as written (both opened for appending).
 * - `status`: its exit status, written (atomically, by rename) by a small supervisor that waits
 *   for it; `cancelled` when gpuops stopped it; `launched` once the start completed.
 *
 * The supervisor and the command each run in a session of their own (`setsid`, stdin from
 * /dev/null), so closing the SSH connection, or the instance's shell exiting, signals neither;
 * `cancel` signals the command's whole process group, what it started in the background included.
 * Needs `setsid` (util-linux, in every Debian or Ubuntu based image); the command runs with bash
 * when the machine has it, else /bin/sh.
 *
 * A RemoteJob is a handle on one job on one machine. Any number of handles may exist for the same
 * job (a worker that took it over makes its own); each call is one SSH exchange of its own (a new
 * connection) with a deadline.
 */
export class RemoteJob {
  private readonly timeoutMs: number;
  private readonly maxReadBytes: number;

  constructor(
    private readonly target: SshTarget,
    readonly id: string,
    options: RemoteJobOptions = {},
  ) {
    if (!JOB_ID.test(id)) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `"${id.slice(0, 40)}" cannot name a job on a machine: use letters, digits, "_", "." and "-" (at most 128, starting with a letter or digit).`,
      );
    }
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.maxReadBytes = options.maxReadBytes ?? 256 * 1024;
  }

  /**
   * Starts the command unless this job already started on this machine: a retried start returns
   * `created: false` and the run goes on as it was, never twice.
   */
  async start(spec: RemoteJobSpec): Promise<{ created: boolean; state: RemoteJobState }> {
    for (const name of Object.keys(spec.env ?? {})) {
      if (!ENV_NAME.test(name)) {
        throw new GpuopsError(
          ErrorCode.BadInput,
          `"${name.slice(0, 40)}" is not an environment variable name: use letters, digits and "_", not starting with a digit.`,
        );
      }
    }
    if (spec.command.includes('\0') || Buffer.byteLength(spec.command) > MAX_COMMAND_BYTES) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `A job's command must be text of at most ${MAX_COMMAND_BYTES / 1024} KiB: put a longer script in a file in the job's inputs and run that.`,
      );
    }
    const exports = Object.entries(spec.env ?? {})
      .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
      .join('\n');
    const output = spec.outputDir ?? 'output';
    const outputLine = output.startsWith('/')
      ? `GPUOPS_OUTPUT=${shellQuote(output)}`
      : `GPUOPS_OUTPUT="$(pwd -P)"/${shellQuote(output)}`;
    const script = [
      `# gpuops job ${this.id}: start`,
      folderLine(this.id),
      LIVENESS,
      REPORT,
      // fail RETRYABLE MESSAGE: the answer when the start cannot go on (1: trying again can help).
      `fail() { echo "${HEADER} error $1 $2"; exit 0; }`,
      `command -v setsid >/dev/null 2>&1 || fail 0 'setsid is not installed on this machine (util-linux): gpuops needs it to run jobs that outlive the SSH connection.'`,
      `mkdir -p "\${d%/*}" || fail 1 "cannot make the jobs folder \${d%/*} (is the disk full?)."`,
      // The claim is a rename of a folder that already names its claimant: of two starts at once,
      // exactly one renames its folder into place; the other's lands inside it, or fails.
      'claim() {',
      '  t="$d.claim.$$"',
      '  rm -rf "$t"; mkdir "$t" && echo $$ > "$t/claim.pid" || return 1',
      '  mv "$t" "$d" 2>/dev/null',
      '  [ "$(cat "$d/claim.pid" 2>/dev/null)" = "$$" ] && return 0',
      `  rm -rf "$t" "$d/\${t##*/}"`,
      '  return 1',
      '}',
      'if ! claim; then',
      '  i=0; while [ ! -e "$d/launched" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
      `  if [ -e "$d/launched" ]; then echo '${HEADER} existing'; report; exit 0; fi`,
      `  pid_alive "$(cat "$d/claim.pid" 2>/dev/null)" && fail 1 'another start of this job is under way; read it again in a moment.'`,
      // A start that died before its launch (its SSH connection cut) left a claim and no run: set it aside.
      '  mv "$d" "$d.failed.$$" 2>/dev/null',
      `  claim || fail 1 'another start of this job is under way; read it again in a moment.'`,
      'fi',
      `printf '%s\\n' ${shellQuote(spec.command)} > "$d/command.sh" || fail 1 'cannot write the command on this machine (is its disk full?).'`,
      spec.workdir === undefined
        ? ''
        : `cd -- ${shellQuote(spec.workdir)} 2>/dev/null || { rm -rf "$d"; fail 0 ${shellQuote(`there is no folder ${spec.workdir} on this machine to run the command in.`)}; }`,
      exports,
      `export GPUOPS_JOB_ID=${shellQuote(this.id)}`,
      outputLine,
      'export GPUOPS_OUTPUT',
      `mkdir -p -- "$GPUOPS_OUTPUT" || { rm -rf "$d"; fail 0 "cannot make the output folder $GPUOPS_OUTPUT."; }`,
      `cat > "$d/supervise.sh" <<'GPUOPS_SUPERVISOR'\n${SUPERVISOR}GPUOPS_SUPERVISOR`,
      ': > "$d/log"',
      'setsid /bin/sh "$d/supervise.sh" "$d" $$ </dev/null >/dev/null 2>&1 &',
      // `launched` only once the supervisor is known, so a reader never sees a run without one. A
      // supervisor too slow to show up is left to find, when it does, that its claim was taken over.
      'i=0; while [ ! -s "$d/supervisor.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done',
      `[ -s "$d/supervisor.pid" ] || fail 1 "the job's supervisor did not start within 10 s (is the machine overloaded?)."`,
      'date +%s > "$d/launched"',
      `echo '${HEADER} created'`,
      'report',
    ]
      .filter((line) => line !== '')
      .join('\n');
    const answer = await this.exchange(script, this.timeoutMs);
    const [first, rest] = splitLine(answer);
    const created = first === `${HEADER} created`;
    if (!created && first !== `${HEADER} existing`) throw this.unexpected(first);
    return { created, state: this.parseHeader(splitLine(rest)[0]).state };
  }

  /**
   * The job's state and its log from `fromOffset`, in one SSH exchange. Following a job is
   * reading again from `nextOffset` until `complete`: a follower that takes over from a saved
   * offset neither loses nor repeats a byte.
   */
  async read(fromOffset = 0): Promise<RemoteJobRead> {
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `A log offset is a whole number of bytes, not ${fromOffset}.`,
      );
    }
    const script = [
      `# gpuops job ${this.id}: read`,
      folderLine(this.id),
      LIVENESS,
      REPORT,
      'report',
      `tail -c +${fromOffset + 1} "$d/log" 2>/dev/null | head -c ${this.maxReadBytes}`,
    ].join('\n');
    const [first, bytes] = splitLine(await this.exchange(script, this.timeoutMs));
    const { state, logBytes } = this.parseHeader(first);
    const nextOffset = fromOffset + bytes.length;
    const ended = state.kind !== 'running';
    return { state, bytes, nextOffset, logBytes, complete: ended && nextOffset >= logBytes };
  }

  /**
   * Stops the command and everything it started (its process group): SIGTERM, then SIGKILL
   * after `graceMs`. Records the cancel, so the state says so. A job that already ended is left
   * as it ended. Resolves with the state after the stop.
   */
  async cancel(graceMs = 10_000): Promise<RemoteJobState> {
    const tenths = Math.max(1, Math.ceil(graceMs / 100));
    const script = [
      `# gpuops job ${this.id}: cancel`,
      folderLine(this.id),
      LIVENESS,
      REPORT,
      'if [ -e "$d/launched" ] && [ ! -f "$d/status" ]; then',
      '  [ -e "$d/cancelled" ] || date +%s > "$d/cancelled"',
      '  i=0; while [ ! -s "$d/pgid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
      '  pg=$(cat "$d/pgid" 2>/dev/null)',
      '  if [ -n "$pg" ]; then',
      // dash takes a group after `-s NAME --` only.
      '    kill -s TERM -- "-$pg" 2>/dev/null',
      `    i=0; while group_alive "$pg" && [ $i -lt ${tenths} ]; do sleep 0.1; i=$((i + 1)); done`,
      '    kill -s KILL -- "-$pg" 2>/dev/null',
      '  fi',
      // The supervisor records the status as soon as the command is reaped.
      '  i=0; while [ ! -f "$d/status" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
      'fi',
      'report',
    ].join('\n');
    const [first] = splitLine(await this.exchange(script, this.timeoutMs + graceMs + 10_000));
    return this.parseHeader(first).state;
  }

  private async exchange(script: string, timeoutMs: number): Promise<Buffer> {
    const session = await SshSession.open(this.target, timeoutMs);
    try {
      return await session.run(script, '', timeoutMs);
    } finally {
      session.close();
    }
  }

  private parseHeader(line: string): { state: RemoteJobState; logBytes: number } {
    const parts = line.split(' ');
    if (parts[0] !== HEADER) throw this.unexpected(line);
    if (parts[1] === 'error') {
      throw new GpuopsError(
        ErrorCode.SshFailed,
        `Job ${this.id} on ${this.target.host}:${this.target.port}: ${parts.slice(3).join(' ')}`,
        { retryable: parts[2] === '1' },
      );
    }
    const [, kind, status, size, cancelledFlag] = parts;
    const logBytes = Number(size);
    const cancelled = cancelledFlag === '1';
    if (!Number.isSafeInteger(logBytes)) throw this.unexpected(line);
    if (kind === 'running') return { state: { kind: 'running' }, logBytes };
    if (kind === 'lost') return { state: { kind: 'lost' }, logBytes };
    if (kind === 'not_found') return { state: { kind: 'not_found' }, logBytes };
    const code = Number(status);
    if (kind !== 'ended' || !Number.isInteger(code)) throw this.unexpected(line);
    const signal = code > 128 ? SIGNALS[code - 128] : undefined;
    if (signal) return { state: { kind: 'killed', signal, code, cancelled }, logBytes };
    return { state: { kind: 'exited', code, cancelled }, logBytes };
  }

  private unexpected(line: string): GpuopsError {
    return new GpuopsError(
      ErrorCode.SshFailed,
      `Job ${this.id} on ${this.target.host}:${this.target.port} answered "${line.slice(0, 80)}", not a job report: is its shell printing something at login?`,
      { retryable: true },
    );
  }
}

/** The first line (without its newline) and the bytes after it. */
function splitLine(data: Buffer): [string, Buffer] {
  const end = data.indexOf(0x0a);
  if (end < 0) return [data.toString('utf8'), Buffer.alloc(0)];
  return [data.subarray(0, end).toString('utf8'), data.subarray(end + 1)];
}
