/**
 * The command of a request to run a job, read from the text exactly as typed: a command is shell
 * text, so it is never reworded, re-cased or evened out the way the rest of a request is (no
 * smart-quote, dash or emphasis cleaning). Inside backticks or quotes it is taken as written. Left
 * unquoted, only the shapes people use for a script are taken: "python train.py --epochs 3",
 * "torchrun train.py", "./run.sh", and a bare "train.py" or "eval.sh" (run with python or bash, as
 * people mean them). Anything else ("run nvidia-smi on i-3", "run this", "run my training
 * script") is asked about rather than guessed at.
 */

export type JobCommand =
  /** The command, and where the verb and command sit in the typed text (cut out before the rest is read). */
  | { kind: 'command'; command: string; start: number; end: number }
  /** A job was asked for, but its command cannot be read exactly: the question to ask. */
  | { kind: 'ask'; message: string };

// Verbs that run something; "run j-4 again" and "run llama 3 8b" are left to others (no command).
const RUN_VERB = /\b(?:run|execute|exec|launch|start|kick\s+off|submit|queue|fire\s+off)\b/gi;
// Words between the verb and the command: "run the command `...`", "execute this script: ...".
const FILLER =
  /^\s*(?:(?:the|this|that|my|our|a|an|following|below|shell)\s+)*(?:(?:command|cmd|script|line)\b(?!\/)\s*)?(?::\s*)?/i;
const QUOTED = [
  /^```(?:[^\S\n]*\n)?([\s\S]+?)\n?```/,
  /^`([^`\n]+)`/,
  /^"([^"\n]+)"/,
  /^“([^”\n]+)”/,
  /^'([^'\n]+)'(?!\w)/,
  /^‘([^’\n]+)’(?!\w)/,
];
/** A backtick span anywhere after the verb: "run this on a 4090: `python train.py`". */
const BACKTICKS_LATER = /```(?:[^\S\n]*\n)?([\s\S]+?)\n?```|`([^`\n]+)`/;

/** Programs that start a script; "accelerate launch" and "uv run" are two words. */
const LAUNCHER =
  /^(?:python(?:3(?:\.\d+)?)?|bash|sh|zsh|torchrun|deepspeed|accelerate\s+launch|uv\s+run)(?=\s|$)/;
const SCRIPT = /^(?:\.{0,2}\/)?[\w.-]+(?:\/[\w.-]+)*\.(py|sh)$/;
/** Characters an unquoted word of a command may hold; anything else ("*", "$", quotes) needs quoting. */
const PLAIN_WORD = /^[A-Za-z0-9_./:=@+,%~-]+$/;
/** Words that end an unquoted command and start the rest of the request ("on a 4090", "from github..."). */
const BOUNDARY =
  /^(?:on|onto|from|with|using|via|for|in|at|and|then|under|below|over|across|stop|stopping|until|till|within|no|max|budget|retry|retrying|please|now|but|so|to|if|when|once|as|overnight|&)$/i;
/** What a request names when it wants a job run but gives no command. */
const JOB_NOUN =
  /^(?:(?:my|the|this|that|our|a|an|some|your)\s+)?(?:[\w-]+\s+){0,2}?(?:scripts?|jobs?|training(?:\s+(?:runs?|jobs?|scripts?))?|experiments?|notebooks?|code|programs?|benchmarks?|pipelines?|workloads?|commands?|evals?|evaluations?|sweeps?)\b|^(?:this|that)\b/i;
// "train on a 4090 then stop": training, then the machine stopped, is a job with no command said.
const TRAIN_THEN_STOP =
  /\btrain(?:ing)?\b.*\b(?:then|and|after(?:wards)?)\b.*\b(?:stop|shut|pause|destroy|kill|tear|turn\s+(?:it\s+)?off)\w*/i;
const SSH_INTO = /\bssh\s+(?:into|to|onto|in\s+to)\s+\S+/i;
const ON_AN_INSTANCE = /\b(?:on|in|onto|inside)\s+(?:instance\s+)?i-?\d+\b/i;

export function readJobCommand(typed: string): JobCommand | undefined {
  for (const verb of typed.matchAll(RUN_VERB)) {
    const after = verb.index + verb[0].length;
    const rest = typed.slice(after);
    // "run j-4 again", "run it again": a rerun, not a new command.
    if (/^\s+(?:j-\d|(?:it|that|this|the\s+job|my\s+job)\s+again\b)/i.test(rest)) return undefined;
    const filler = FILLER.exec(rest)?.[0] ?? '';
    const at = after + filler.length;
    const quoted = readQuoted(typed, at);
    if (quoted) return { kind: 'command', command: quoted.command, start: verb.index, end: quoted.end };
    const unquoted = readUnquoted(typed, at);
    if (unquoted?.kind === 'command') return { ...unquoted, start: verb.index };
    const later = BACKTICKS_LATER.exec(rest);
    if (later) {
      const command = (later[1] ?? later[2] ?? '').trim();
      if (command !== '') {
        const start = after + later.index;
        return { kind: 'command', command, start, end: start + later[0].length };
      }
    }
    if (unquoted?.kind === 'ask') return unquoted;
    const object = typed.slice(after).trim();
    if (JOB_NOUN.test(object)) return { kind: 'ask', message: whichCommand() };
    // "run nvidia-smi on i-3", "ssh into i-3 and run nvidia-smi": whatever is run on a machine is
    // a command, but one that cannot be read exactly unquoted.
    if (ON_AN_INSTANCE.test(rest) || SSH_INTO.test(typed)) {
      const words =
        /^\s*(\S+(?:\s+\S+)*?)(?:\s+(?:on|in|onto|inside)\s+(?:instance\s+)?i-?\d+.*)?[.!?]*$/i.exec(rest);
      return { kind: 'ask', message: whichCommand(words?.[1]) };
    }
  }
  if (TRAIN_THEN_STOP.test(typed)) return { kind: 'ask', message: whichCommand() };
  return undefined;
}

/** The question for a job whose command is not written out exactly; `written` is what was said. */
export function whichCommand(written?: string): string {
  const example =
    written && PLAIN_WORD.test(written.replace(/\s+/g, '')) ? written : 'python train.py --epochs 3';
  return `Which command should I run? Put it in backticks so it runs exactly as written, e.g. "run \`${example}\` on a 4090" or "run \`${example}\` on i-3". A bare script works too: "run train.py" runs it with python, "run eval.sh" with bash.`;
}

function readQuoted(typed: string, at: number): { command: string; end: number } | undefined {
  const text = typed.slice(at);
  for (const pattern of QUOTED) {
    const match = pattern.exec(text);
    if (!match) continue;
    const command = match[1]!.trim();
    if (command !== '') return { command, end: at + match[0].length };
  }
  return undefined;
}

/**
 * "python train.py --epochs 3 on a 4090": the launcher, its script and the flags and values after
 * it, up to a word that starts the rest of the request. A word the command cannot hold unquoted,
 * or a command that runs on into other words, is asked about.
 */
function readUnquoted(
  typed: string,
  at: number,
): JobCommand | { kind: 'command'; command: string; end: number } | undefined {
  const text = typed.slice(at);
  const launcher = LAUNCHER.exec(text);
  const words: { word: string; end: number }[] = [];
  const pattern = /\S+/g;
  pattern.lastIndex = launcher ? launcher[0].length : 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    words.push({ word: m[0], end: at + m.index + m[0].length });
  }
  const taken: string[] = launcher ? [launcher[0]] : [];
  let end = at + (launcher ? launcher[0].length : 0);
  let sawScript = false;
  let flagWantsValue = false;
  let stoppedAt: string | undefined;
  for (const { word: raw, end: wordEnd } of words) {
    // A full stop or comma after the last word ends the sentence, not the command.
    const word = raw.replace(/[.,;:!?]+$/, '');
    const punctuated = word !== raw;
    if (BOUNDARY.test(word) || word === '') {
      stoppedAt = word || raw;
      break;
    }
    const isFlag = /^--?[A-Za-z]/.test(word);
    const isScript =
      SCRIPT.test(word) || (launcher !== null && /^[\w.-]+(?:\/[\w.-]+)*\.(?:py|sh)$/.test(word));
    const isModule = flagWantsValue && PLAIN_WORD.test(word);
    if (!PLAIN_WORD.test(word) || !(isFlag || isScript || isModule || (sawScript && flagWantsValue))) {
      stoppedAt = raw;
      break;
    }
    if (taken.length === (launcher ? 1 : 0) && !launcher && !isScript) return undefined;
    taken.push(word);
    end = wordEnd - (raw.length - word.length);
    sawScript ||= isScript;
    flagWantsValue = isFlag && !word.includes('=');
    if (punctuated) {
      stoppedAt = '';
      break;
    }
  }
  if (!sawScript) {
    // "run python on i-3", "run bash": a launcher without its script is not a command yet.
    return launcher ? { kind: 'ask', message: whichCommand() } : undefined;
  }
  // "python train.py *.txt": the command runs on into words it cannot hold unquoted.
  if (stoppedAt !== undefined && stoppedAt !== '' && !BOUNDARY.test(stoppedAt.replace(/[.,;:!?]+$/, ''))) {
    return { kind: 'ask', message: whichCommand(taken.join(' ')) };
  }
  const command = taken.join(' ');
  if (launcher) return { kind: 'command', command, end };
  // A bare script: "train.py" runs with python, "eval.sh" with bash; "./run.sh" is run as written.
  const first = taken[0]!;
  if (/^\.{0,2}\//.test(first)) return { kind: 'command', command, end };
  const runner = first.endsWith('.py') ? 'python' : 'bash';
  return { kind: 'command', command: `${runner} ${command}`, end };
}
