import path from 'node:path';
import { type JobInput, type JobRepo, type JobSpec, jobRef, jobRelativePath } from '../../domain/jobs.ts';
import { ErrorCode, GpuopsError } from '../../errors.ts';
import { shellQuote } from '../../util/shell-quote.ts';

/**
 * The shell script that fetches a job's inputs on its machine: the repository to work in, then
 * each input file. It runs as a remote job of its own before the command, so a long clone or
 * download outlives a worker restart and what it says lands in the job's log. Plain sh (dash),
 * git, and curl or wget are all it needs. Every step can run again on the same machine (a retried
 * fetch): a clone already there is brought to the ref, and files are downloaded again, each to a
 * temporary name renamed into place, so a half-downloaded file never counts.
 */

export interface InputsPlan {
  /** Undefined when there is nothing to fetch. Holds presigned URLs: a credential, never to be logged. */
  script: string | undefined;
  /** Absolute folder the command runs in. */
  workdir: string;
}

/** Suffix of a download or clone under way; never a name a job's inputs can take (they have no `+`). */
const PARTIAL = '.gpuops+partial';

/** What one SSH command line (a remote job's command) may carry: src/cloud/ssh/remote-job.ts's limit. */
const MAX_SCRIPT_BYTES = 64 * 1024;

/** Aborts a transfer that has crawled below 1 KiB/s for two minutes: stuck, not slow. */
const CURL = 'curl -fsSL --retry 3 --connect-timeout 30 --speed-limit 1024 --speed-time 120';
const WGET = 'wget -q --tries=3 --timeout=120';
const GIT = 'git -c http.lowSpeedLimit=1024 -c http.lowSpeedTime=120';

/** The script's own helpers: fixed text, nothing of the job in it. */
const PRELUDE = `set -eu
gpuops_say() { printf 'gpuops: %s\\n' "$1"; }
gpuops_fail() { printf 'gpuops: %s\\n' "$1"; exit 1; }
# A private repository or an unknown host key must fail, not wait for someone to type.
GIT_TERMINAL_PROMPT=0
export GIT_TERMINAL_PROMPT
: "\${GIT_SSH_COMMAND:=ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=30}"
export GIT_SSH_COMMAND
gpuops_download() {
  if command -v curl >/dev/null 2>&1; then
    ${CURL} -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    ${WGET} -O "$2" "$1"
  else
    gpuops_fail 'neither curl nor wget is installed on this machine: use an image that has one of them.'
  fi
}
# URL, path relative to the working folder, the source as it may be shown (never a presigned URL).
gpuops_fetch() {
  gpuops_say "downloading $3 to $2"
  case $2 in */*) mkdir -p "\${2%/*}" || gpuops_fail "cannot make the folder \${2%/*} for $2." ;; esac
  rm -f "$2${PARTIAL}"
  gpuops_download "$1" "$2${PARTIAL}" || {
    rm -f "$2${PARTIAL}"
    gpuops_fail "could not download $3 to $2; check that it exists and that this machine may read it."
  }
  mv -f "$2${PARTIAL}" "$2" || gpuops_fail "cannot move the download into place as $2."
}`;

export async function planInputs(
  spec: Pick<JobSpec, 'repo' | 'inputs'>,
  options: {
    /** Absolute, e.g. /workspace. */
    workspace: string;
    jobId: number;
    /** A presigned https GET URL for the object. */
    sign: (bucket: string, key: string) => Promise<string>;
  },
): Promise<InputsPlan> {
  const workspace = absoluteWorkspace(options.workspace);
  const workdir = jobWorkdir(spec, workspace);
  const inputs = spec.inputs ?? [];
  if (!spec.repo && inputs.length === 0) return { script: undefined, workdir };

  const steps: string[] = [PRELUDE];
  const what = [spec.repo && 'a repository', inputs.length > 0 && plural(inputs.length, 'file')].filter(
    Boolean,
  );
  steps.push(say(`fetching ${jobRef(options.jobId)}'s inputs (${what.join(' and ')}) into ${workdir}`));
  steps.push(
    `mkdir -p ${shellQuote(workspace)} || gpuops_fail ${shellQuote(`cannot make the workspace ${workspace} (is the disk full or the folder read-only?).`)}`,
  );
  if (spec.repo) steps.push(cloneSteps(spec.repo, workdir));
  if (inputs.length > 0) {
    // Inputs are named relative to the folder the command runs in: one short line each, so even
    // 32 of them with long presigned URLs stay well within what one SSH command line can carry.
    steps.push(
      `cd ${shellQuote(workdir)} || gpuops_fail ${shellQuote(`there is no folder ${workdir} to download the inputs into.`)}`,
    );
    for (const input of inputs) steps.push(await downloadStep(input, options.sign));
  }
  steps.push(say(`inputs ready in ${workdir}`));
  const script = `${steps.join('\n')}\n`;
  if (Buffer.byteLength(script) > MAX_SCRIPT_BYTES) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `${jobRef(options.jobId)}'s inputs take ${Math.ceil(Buffer.byteLength(script) / 1024)} KiB to describe to its machine, more than the ${MAX_SCRIPT_BYTES / 1024} KiB one step can carry: fetch fewer files (an archive of them, or a folder's files from a script of the job's own).`,
    );
  }
  return { script, workdir };
}

/**
 * The absolute folder a job's command runs in: the workspace, or the clone of its repository in
 * it. What planInputs returns as workdir, without signing anything.
 */
export function jobWorkdir(spec: Pick<JobSpec, 'repo'>, workspace: string): string {
  const root = absoluteWorkspace(workspace);
  return spec.repo ? path.posix.join(root, repositoryName(spec.repo.url)) : root;
}

function absoluteWorkspace(workspace: string): string {
  const normalized = path.posix.normalize(workspace).replace(/(.)\/$/, '$1');
  if (!path.posix.isAbsolute(normalized)) {
    throw new GpuopsError(
      ErrorCode.Internal,
      `A job's workspace must be an absolute path, not "${workspace}".`,
    );
  }
  return normalized;
}

/** The folder a clone of `url` goes to: its last path segment without `.git`, as git clone names it. */
export function repositoryName(url: string): string {
  const last = url.replace(/[/]+$/, '').split(/[/:]/).pop();
  const name = (last ?? '').replace(/\.git$/, '');
  if (name === '' || name === '.' || name === '..' || !/^[A-Za-z0-9_.~-]+$/.test(name)) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `Cannot tell the repository's name from "${url}": give its URL like https://github.com/org/repo.`,
    );
  }
  return name;
}

function cloneSteps(repo: JobRepo, dest: string): string {
  const url = shellQuote(repo.url);
  const at = repo.ref === undefined ? '' : ` at ${repo.ref}`;
  const partial = shellQuote(`${dest}${PARTIAL}`);
  const q = shellQuote(dest);
  const fail = (text: string) => `gpuops_fail ${shellQuote(text)}`;
  const lines: string[] = [];
  if (repo.ref === undefined) {
    lines.push('gpuops_ref_kind=default');
  } else {
    // A branch or tag can be cloned shallow; anything else is taken for a commit. `--exit-code`
    // tells "no such ref" (2) from a repository that cannot be reached (128).
    lines.push(
      `if ${GIT} ls-remote --exit-code ${url} ${shellQuote(`refs/heads/${repo.ref}`)} ${shellQuote(`refs/tags/${repo.ref}`)} >/dev/null; then`,
      '  gpuops_ref_kind=named',
      'else',
      '  gpuops_status=$?',
      `  [ "$gpuops_status" -eq 2 ] || ${fail(`cannot reach the repository ${repo.url} (git ls-remote failed; is the URL right, and may this machine read it?).`)}`,
      '  gpuops_ref_kind=commit',
      'fi',
    );
  }
  const checkoutExisting = (): string[] => {
    if (repo.ref === undefined) {
      return [
        `  ${GIT} -C ${q} fetch --quiet --depth 1 origin HEAD || ${fail(`cannot fetch ${repo.url} into ${dest}.`)}`,
        `  git -C ${q} checkout --quiet --force FETCH_HEAD || ${fail(`cannot check out ${repo.url}'s default branch in ${dest}.`)}`,
      ];
    }
    const ref = shellQuote(repo.ref);
    return [
      '  if [ "$gpuops_ref_kind" = named ]; then',
      `    ${GIT} -C ${q} fetch --quiet --depth 1 origin ${ref} || ${fail(`cannot fetch ${repo.ref} from ${repo.url}.`)}`,
      `    git -C ${q} checkout --quiet --force FETCH_HEAD || ${fail(`cannot check out ${repo.ref} in ${dest}.`)}`,
      '  else',
      `    if ! git -C ${q} cat-file -e ${shellQuote(`${repo.ref}^{commit}`)} 2>/dev/null; then`,
      `      if [ "$(git -C ${q} rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then`,
      `        ${GIT} -C ${q} fetch --quiet --unshallow origin || ${fail(`cannot fetch ${repo.url}'s history to find commit ${repo.ref}.`)}`,
      '      else',
      `        ${GIT} -C ${q} fetch --quiet origin || ${fail(`cannot fetch ${repo.url} to find commit ${repo.ref}.`)}`,
      '      fi',
      '    fi',
      `    git -C ${q} checkout --quiet --force ${ref} || ${fail(`there is no commit, branch or tag ${repo.ref} in ${repo.url}.`)}`,
      '  fi',
    ];
  };
  const cloneFresh = (): string[] => {
    if (repo.ref === undefined) {
      return [
        `  ${GIT} clone --quiet --depth 1 ${url} ${partial} || { rm -rf ${partial}; ${fail(`cannot clone ${repo.url} (is the URL right, and may this machine read it?).`)}; }`,
      ];
    }
    const ref = shellQuote(repo.ref);
    return [
      '  if [ "$gpuops_ref_kind" = named ]; then',
      `    ${GIT} clone --quiet --depth 1 --branch ${ref} ${url} ${partial} || { rm -rf ${partial}; ${fail(`cannot clone ${repo.url} at ${repo.ref}.`)}; }`,
      '  else',
      `    ${GIT} clone --quiet ${url} ${partial} || { rm -rf ${partial}; ${fail(`cannot clone ${repo.url}.`)}; }`,
      `    git -C ${partial} checkout --quiet ${ref} || { rm -rf ${partial}; ${fail(`there is no commit, branch or tag ${repo.ref} in ${repo.url}.`)}; }`,
      '  fi',
    ];
  };
  lines.push(
    `if [ -d ${shellQuote(`${dest}/.git`)} ]; then`,
    // Only the same repository is reused: anything else in the way is someone's work.
    `  gpuops_origin=$(git -C ${q} config --get remote.origin.url || true)`,
    `  [ "$gpuops_origin" = ${url} ] || ${fail(`${dest} already holds a clone of another repository; move it away, or run the job in another workspace.`)}`,
    `  ${say(`reusing the clone in ${dest}; bringing it to ${repo.url}${at}`)}`,
    ...checkoutExisting(),
    'else',
    `  if [ -e ${q} ] && [ -n "$(ls -A ${q} 2>/dev/null || echo x)" ]; then`,
    `    ${fail(`${dest} is already there and is not a clone of ${repo.url}; move it away, or run the job in another workspace.`)}`,
    '  fi',
    `  rm -rf ${partial}`,
    `  ${say(`cloning ${repo.url}${at} into ${dest}`)}`,
    ...cloneFresh(),
    // An empty folder left in the way (by hand or a removed clone) is replaced.
    `  rmdir ${q} 2>/dev/null || true`,
    `  mv ${partial} ${q} || ${fail(`cannot move the clone into ${dest}.`)}`,
    'fi',
  );
  return lines.join('\n');
}

async function downloadStep(
  input: JobInput,
  sign: (bucket: string, key: string) => Promise<string>,
): Promise<string> {
  // The schema keeps paths inside the folder and free of a leading `-`; this holds even for a
  // spec that skipped it.
  if (!jobRelativePath.safeParse(input.path).success) {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `The input path "${input.path}" is not a path inside the job's folder.`,
    );
  }
  let url: string;
  let shown: string;
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(input.source);
  if (s3) {
    const [, bucket, key] = s3 as unknown as [string, string, string];
    url = await sign(bucket, key);
    shown = input.source;
  } else if (/^https?:\/\//.test(input.source)) {
    url = input.source;
    shown = withoutQuery(input.source);
  } else {
    throw new GpuopsError(
      ErrorCode.BadInput,
      `The input "${withoutQuery(input.source)}" is neither an s3:// nor an https:// address.`,
    );
  }
  return `gpuops_fetch ${shellQuote(url)} ${shellQuote(input.path)} ${shellQuote(shown)}`;
}

/** An address as it may be shown: a query string can be a credential (a presigned URL's is). */
function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : `${url.slice(0, cut)}?…`;
}

function say(text: string): string {
  return `gpuops_say ${shellQuote(text)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
