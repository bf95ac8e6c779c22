import { jobInputSchema } from '../../domain/jobs.ts';
import { checked, compact } from './checked-calls.ts';
import { cleanRequest } from './clean-request.ts';
import { extract } from './extract.ts';
import { extractJobLimits, type JobLimits } from './extract-job-limits.ts';
import { readJobCommand } from './job-command.ts';
import { pricePerGpu, smallerThanAsked } from './offer-terms.ts';
import { unknownGpu } from './questions.ts';
import type { Extraction, Field, Plan } from './types.ts';
import { UnreadText } from './unread-text.ts';

/**
 * Requests to run a job or fine-tune a model, read from the text as typed and before the message
 * is split into clauses: a command holds words of its own ("cd src; python train.py && ..."), and
 * "run it on a 4090 and destroy it after" is one request, not a run and a destroy. A machine rented
 * for a job is always released when it ends, so words asking for that are the job's own, never a
 * pause or a destroy of their own. What the request says about the machine (GPU, count, memory,
 * price, region, instance) is read by the shared extractors from the rest of the text.
 */

// A question about a job ("how do I run train.py?", "which GPU should I rent to run my training
// script?") asks for advice or help, not for the job.
const QUESTION =
  /^(?:what|which|how|why|is|are|does|should|will|(?:can|could|would)\s+(?:an?|the|my|one|two)\b|do\s+(?:i|we)\s+need)\b/i;
const ASKS_WHICH_GPU =
  /\b(?:which|what)\s+(?:kind\s+of\s+)?(?:gpus?|cards?|hardware|machines?|setup)\b|\bhow\s+(?:much|many)\s+(?:vram|memory|gpus?)\b/i;
const COURTESY =
  /^(?:(?:please|pls|hey|hi|hello|ok|okay|so|(?:can|could|would|will)\s+(?:you|u)(?:\s+please)?)[\s,]+)+/i;

/** "and destroy it after", "then shut them down when it finishes": what every rented job does anyway. */
const RELEASE_AFTER =
  /(?:[,;]?\s*(?:and|then|&)?\s*(?:then\s+)?)(?:destroy|terminate|delete|kill|tear|shut|stop|release|remove|nuke|get\s+rid\s+of|turn|power|pause|free(?:\s+up)?|clean\s+up|give\s+back|drop|dispose\s+of)\s+(?:(?:it|them|everything|(?:the|that|this)\s+(?:machine|instance|box|gpu|server|vm|node|rental|rig)s?)\s+)?(?:(?:down|off|up)\s+)?(?:after(?:wards)?|(?:when|once|after)\s+(?:(?:it|the\s+(?:job|run|script|training|command))(?:\s+is|\s+has|'s)?\s+)?(?:done|finished|finishes|completes?|completed|complete|ends|ended|over|exits)|at\s+the\s+end|$)/g;
// Where a job runs: a GPU's words without a model ("on the cheapest GPU", "on any GPU").
const ANY_GPU =
  /\b(?:cheapest|cheap|any|whatever|some)\s+(?:\S+\s+)?(?:gpus?|cards?|machines?|boxe?s?|instances?|offers?)\b/;
const GIT_HOSTS = String.raw`(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co)`;
// "from github.com/org/repo@main", "https://github.com/org/repo", "git@github.com:org/repo.git"
const REPO = new RegExp(
  String.raw`(?:\b(?:from|in|of|using|clone|cloning|cloned\s+from|checkout\s+of)\s+(?:(?:the|my|our)\s+)?(?:(?:git\s+)?repo(?:sitory)?\s+)?)?((?:https?:\/\/)?${GIT_HOSTS}\/[\w.-]+\/[\w.-]+(?:@[\w./-]*[\w-])?|git@${GIT_HOSTS}:[\w.-]+\/[\w.-]+(?:@[\w./-]*[\w-])?)`,
  'gi',
);
// "with s3://bucket/data.jsonl", "using https://example.com/d.jsonl as data/train.jsonl"
const INPUT =
  /(?:\b(?:with|using|fetch(?:ing)?|download(?:ing)?|inputs?|data(?:set)?|files?|and)\s+(?:(?:the\s+)?(?:inputs?|data(?:set)?|files?)\s+)?(?:from\s+)?)?((?:s3|https?):\/\/\S+?)[.,;!?]*(?=\s|$)(?:\s+(?:as|to|into|at)\s+([\w.][\w./-]*))?/gi;

// "but keep it running after", "don't destroy it": a rented machine is released whatever is said.
const KEEP_AFTER =
  /\b(?:keep|leave)\s+(?:it|them|the\s+(?:machine|instance|box|gpu|server)s?)\s+(?:running|up|alive|on|around)\b|\b(?:don'?t|do\s+not|never|without)\s+(?:destroy|delet|kill|releas|terminat|shut|tear|stop|remov)\w*/;
// A flag left outside the command's quotes ("run train.py with --epochs 3"): part of the command or not?
const STRAY_FLAG = /(?:^|\s)(--?[a-z][\w-]*)/;

/** The values of a rented machine a run takes; a problem with any other value is not worth a question. */
const RUN_FIELDS: readonly Field[] = ['price', 'count', 'disk', 'region', 'memory', 'instance'];

export function readRunJob(typed: string): Plan | undefined {
  const cleaned = cleanRequest(typed).replace(COURTESY, '');
  if (QUESTION.test(cleaned) || ASKS_WHICH_GPU.test(cleaned)) return undefined;
  const found = readJobCommand(typed);
  if (!found) return undefined;
  if (found.kind === 'ask') return { kind: 'clarify', message: found.message };
  const { command } = found;
  const rest = cleanRequest(`${typed.slice(0, found.start)} ${typed.slice(found.end)}`);

  const repos: string[] = [];
  const inputs: { source: string; path?: string }[] = [];
  const withoutAddresses = takeAddresses(rest, repos, inputs);
  if (repos.length > 1) {
    return {
      kind: 'clarify',
      message: `One job clones one repository, and you named ${repos.join(' and ')}. Which one?`,
    };
  }
  const unread = new UnreadText(withoutAddresses);
  const limits = extractJobLimits(unread);
  const keepAsked = KEEP_AFTER.test(unread.text);
  const releaseAsked = takeReleaseAfter(unread);
  const stray = STRAY_FLAG.exec(unread.text)?.[1];
  if (stray !== undefined) {
    return {
      kind: 'clarify',
      message: `Is "${stray}" part of the command? Put the whole command in backticks so it runs exactly as written, e.g. "run \`${command} ${stray} ...\` on a 4090".`,
    };
  }
  const ex = extract(unread);

  const problem = limits.problem ?? ex.problems.find((p) => RUN_FIELDS.includes(p.field))?.message;
  if (problem) return { kind: 'clarify', message: problem };
  const fetched = inputPaths(inputs);
  if (typeof fetched === 'string') return { kind: 'clarify', message: fetched };

  const where = target(ex, withoutAddresses.toLowerCase(), command, releaseAsked);
  if ('question' in where) return { kind: 'clarify', message: where.question };
  if (keepAsked && where.args.instance === undefined) {
    return {
      kind: 'clarify',
      message: `A machine rented for a job is released when the job ends, so nothing bills after. To keep a machine, deploy one ("deploy a 4090") and run the job on it ("run \`${command}\` on i-3"): it is left running after.`,
    };
  }
  return checked({
    tool: 'run_job',
    args: compact({
      command,
      ...where.args,
      repo: repos[0],
      inputs: fetched.length > 0 ? fetched : undefined,
      ...limitArgs(limits),
      image: ex.image,
      disk_gb: ex.diskGb,
    }),
  });
}

/** Where the job runs: an instance named, or the machine to rent for it. */
function target(
  ex: Extraction,
  text: string,
  command: string,
  releaseAsked: boolean,
): { args: Record<string, unknown> } | { question: string } {
  const [instance, ...otherInstances] = ex.instances;
  const rents = ex.gpus.length > 0 || ex.unknownGpus.length > 0 || ex.minGpuRamGb !== undefined;
  if (instance !== undefined) {
    if (otherInstances.length > 0) {
      return { question: `Run it on which one: ${ex.instances.join(' or ')}? One job runs on one machine.` };
    }
    if (rents) {
      return {
        question: `Run it on ${instance} as it is, or on a GPU rented for it? Say "run \`${command}\` on ${instance}" or "run \`${command}\` on a 4090".`,
      };
    }
    // A job on an instance leaves it as it was: pausing or destroying it after is a request of its own.
    if (releaseAsked) {
      return {
        question: `A job on ${instance} leaves ${instance} running when it ends; only a machine rented for a job is released after. Run it with "run \`${command}\` on ${instance}" and pause or destroy ${instance} when it is done, or say "run \`${command}\` on a 4090" to have a machine rented and released for it.`,
      };
    }
    return { args: { instance } };
  }
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { question: unknownGpu(unknown, 'run a job on') };
  if (ex.gpus.length > 1) {
    return {
      question: `One job rents one GPU model, and you named ${ex.gpus.map((g) => g.displayName).join(' and ')}. Which one? e.g. "run \`${command}\` on ${ex.gpus[0]!.displayName}".`,
    };
  }
  const tooSmall = smallerThanAsked(ex);
  if (tooSmall) return { question: tooSmall };
  const args = compact({
    gpu: ex.gpus[0]?.id,
    count: ex.count,
    min_gpu_ram_gb: ex.gpus.length === 0 ? ex.minGpuRamGb : undefined,
    max_price_per_gpu_hour: pricePerGpu(ex),
    region: ex.region,
  });
  // Nothing said about the machine: renting one is spending money, so it is asked about.
  if (Object.keys(args).length === 0 && !ANY_GPU.test(text)) {
    return {
      question: `Where should I run it? Name a GPU ("run \`${command}\` on a 4090"), the memory it needs ("on the cheapest GPU with 24 GB"), or an instance you have ("on i-3").`,
    };
  }
  return { args };
}

/** The fine-tune's request: a model, the .jsonl data to train on, and how. */
const FINE_TUNE_VERB = /\b(?:fine[\s-]?tun(?:e|ing)|finetun(?:e|ing)|train)\b(?!\.)/i;
const DATASET = /((?:s3|https?):\/\/\S+?)[.,;!?]*(?=\s|$)/i;
const MODEL_END =
  /(?:^|\s+)(?:with|using|via|on|onto|from|for|in|at|to|under|and|into|by|over)\b|[,;]|(?:^|\s+)(?:q?lora|full)\b|(?:^|\s+)(?:s3|https?):\/\/|$/i;
const METHODS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bq[\s-]?lora\b/i, 'qlora'],
  [/\blora\b/i, 'lora'],
  [
    /\bfull(?:[\s-]+(?:parameter|param|weights?|model))?(?:[\s-]+(?:fine[\s-]?tun\w*|finetun\w*|training))?\b/i,
    'full-finetune',
  ],
];
const EPOCHS = [
  /(?<![\w.])(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|an?)\s+epochs?\b/i,
  /(?:--)?\bepochs?\s*[:=]?\s*(\d+(?:\.\d+)?)\b/i,
];
const EXAMPLES =
  /(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(k|m)?\s+(?:training\s+)?(?:examples|samples|rows|records|conversations)\b/i;
const FT_FIELDS: readonly Field[] = ['price', 'count', 'region', 'instance'];

export function readFineTune(typed: string): Plan | undefined {
  const cleaned = cleanRequest(typed).replace(COURTESY, '');
  if (QUESTION.test(cleaned) || ASKS_WHICH_GPU.test(cleaned)) return undefined;
  const verb = FINE_TUNE_VERB.exec(typed);
  if (!verb) return undefined;
  const dataset = DATASET.exec(typed);
  if (!dataset) {
    // "fine-tune llama 3 8b on i-3": the fine-tune rents its own machine, and needs its data.
    if (/\b(?:on|in|onto)\s+(?:instance\s+)?i-?\d+\b/i.test(typed)) {
      return {
        kind: 'clarify',
        message:
          'A fine-tune rents a machine for itself (the advisor picks the GPU, and it is released after), and trains on your data: say e.g. "fine-tune Llama 3.1 8B with QLoRA on s3://bucket/train.jsonl for 3 epochs". To run your own trainer on an instance you have, say "run `python train.py` on i-3".',
      };
    }
    // Without data it is a question of size ("fine-tune llama 3 8b on a 4090"), which the advisor answers.
    return undefined;
  }
  const verbEnd = verb.index + verb[0].length;
  // "fine-tune a llama", "train a QLoRA adapter for Llama 3.1 8B": the model comes after these.
  const lead =
    /^\s+(?:(?:a|an|the|my|our|of)\s+)*(?:(?:q?lora|full)(?:\s+(?:adapter|fine[\s-]?tune|finetune|model))?\s+(?:for|of|on)\s+(?:(?:a|an|the)\s+)?)?/i;
  const modelStart = verbEnd + (lead.exec(typed.slice(verbEnd))?.[0].length ?? 0);
  verbEnd + (/^\s+(?:(?:a|an|the|my|our|of)\s+)*/i.exec(typed.slice(verbEnd))?.[0].length ?? 0);
  const afterVerb = typed.slice(modelStart);
  const model = afterVerb.slice(0, MODEL_END.exec(afterVerb)?.index ?? afterVerb.length).trim();
  if (model === '' || /^(?:it|this|that|them|models?)$/i.test(model)) {
    return {
      kind: 'clarify',
      message: `Which model should I fine-tune on ${dataset[1]}? Name it as you know it or by its Hugging Face id, e.g. "fine-tune Llama 3.1 8B with QLoRA on ${dataset[1]}".`,
    };
  }
  const source = dataset[1]!;
  if (!jobInputSchema.shape.source.safeParse(source).success) {
    return {
      kind: 'clarify',
      message: `I can't fetch ${source}: give the training data as an s3://bucket/key or https:// address, e.g. "s3://my-bucket/train.jsonl".`,
    };
  }
  if (!/\.jsonl$/i.test(source.split(/[?#]/)[0] ?? '')) {
    return {
      kind: 'clarify',
      message: `A fine-tune trains on a JSONL file, and ${source} is not one: give the address of a .jsonl file, e.g. "s3://bucket/train.jsonl".`,
    };
  }
  const restTyped =
    `${typed.slice(0, verb.index)} ${typed.slice(verbEnd, modelStart)} ${typed.slice(modelStart + model.length)}`.replace(
      source,
      ' ',
    );
  let rest = cleanRequest(restTyped);
  const method = METHODS.find(([pattern]) => pattern.test(rest));
  if (method) rest = rest.replace(method[0], ' ');
  let epochs: number | undefined;
  for (const pattern of EPOCHS) {
    const found = pattern.exec(rest);
    if (!found) continue;
    epochs = /^an?$/i.test(found[1]!)
      ? 1
      : Number.isNaN(Number(found[1]))
        ? wordNumber(found[1]!)
        : Number(found[1]);
    rest = rest.replace(found[0], ' ');
    break;
  }
  const examples = EXAMPLES.exec(rest);
  if (examples) rest = rest.replace(examples[0], ' ');
  const unread = new UnreadText(rest);
  const limits = extractJobLimits(unread);
  takeReleaseAfter(unread);
  const ex = extract(unread);
  const problem = limits.problem ?? ex.problems.find((p) => FT_FIELDS.includes(p.field))?.message;
  if (problem) return { kind: 'clarify', message: problem };
  if (ex.instances.length > 0) {
    return {
      kind: 'clarify',
      message: `A fine-tune rents a machine for itself and releases it after, so it does not run on ${ex.instances[0]}: name a GPU ("on an A100") or leave the choice to the advisor. To run your own trainer there, say "run \`python train.py\` on ${ex.instances[0]}".`,
    };
  }
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { kind: 'clarify', message: unknownGpu(unknown, 'fine-tune on') };
  if (ex.gpus.length > 1) {
    return {
      kind: 'clarify',
      message: `Fine-tune on which GPU: ${ex.gpus.map((g) => g.displayName).join(' or ')}?`,
    };
  }
  return checked({
    tool: 'fine_tune',
    args: compact({
      model,
      dataset: source,
      method: method?.[1],
      epochs,
      training_examples: examples ? exampleCount(examples) : undefined,
      gpu: ex.gpus[0]?.id,
      count: ex.count,
      max_price_per_gpu_hour: pricePerGpu(ex),
      region: ex.region,
      ...limitArgs(limits),
    }),
  });
}

function limitArgs(limits: JobLimits): Record<string, unknown> {
  return compact({ max_hours: limits.maxHours, max_cost: limits.maxCost, retries: limits.retries });
}

/** Takes the repositories and input files out of the text (their digits and "@" are no GPU or price). */
function takeAddresses(text: string, repos: string[], inputs: { source: string; path?: string }[]): string {
  const withoutRepos = text.replace(REPO, (_whole, repo: string) => {
    repos.push(repo.replace(/[.,;!?]+$/, ''));
    return ' ';
  });
  return withoutRepos.replace(INPUT, (_whole, source: string, path: string | undefined) => {
    inputs.push({ source, ...(path !== undefined && { path: path.replace(/[.,;!?]+$/, '') }) });
    return ' ';
  });
}

/** Each input where the request put it, else under its own file name in the job's folder. */
function inputPaths(
  inputs: readonly { source: string; path?: string }[],
): { source: string; path: string }[] | string {
  const out: { source: string; path: string }[] = [];
  for (const input of inputs) {
    const name = input.path ?? input.source.split(/[?#]/)[0]!.split('/').pop() ?? '';
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*$/.test(name) || name.split('/').includes('..')) {
      return `Where in the job's folder should ${input.source} go? Say e.g. "with ${input.source} as data/train.jsonl".`;
    }
    out.push({ source: input.source, path: name });
  }
  return out;
}

/** Blanks "and destroy it after" and the like; true when the request said one. */
function takeReleaseAfter(unread: UnreadText): boolean {
  let said = false;
  unread.take(RELEASE_AFTER, (m) => {
    if (m[0].trim() === '') return false;
    said = true;
    return true;
  });
  return said;
}

function exampleCount(m: RegExpExecArray): number | undefined {
  const value = Number(m[1]!.replace(/,/g, ''));
  const scaled =
    m[2]?.toLowerCase() === 'k' ? value * 1000 : m[2]?.toLowerCase() === 'm' ? value * 1e6 : value;
  return Number.isInteger(scaled) ? scaled : undefined;
}

function wordNumber(word: string): number | undefined {
  const index = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'].indexOf(
    word.toLowerCase(),
  );
  return index < 0 ? undefined : index + 1;
}
